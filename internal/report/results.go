package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/cost"
)

// SchemaVersion of results.json.
const SchemaVersion = 1

// File names in the output directory.
const (
	ResultsFile  = "results.json"
	RequestsFile = "requests.csv"
	MarkdownFile = "report.md"
	HTMLFile     = "report.html"
)

// Results is the content of results.json.
type Results struct {
	SchemaVersion int       `json:"schema_version"`
	StartedAt     time.Time `json:"started_at"`
	FinishedAt    time.Time `json:"finished_at"`
	// Label says where the figures come from, e.g. "local cloud (moto and
	// local processes on this machine), not AWS".
	Label       string   `json:"label"`
	Local       bool     `json:"local"`
	Interrupted bool     `json:"interrupted,omitempty"`
	Settings    Settings `json:"settings"`
	// Deployments in the order they were measured (interleaved).
	Deployments []Deployment `json:"deployments"`
	// Comparison is the side-by-side table of the first two deployments.
	Comparison *Comparison       `json:"comparison,omitempty"`
	FindMax    []bench.MaxResult `json:"find_max,omitempty"`
	Prices     PriceInfo         `json:"prices"`
	Notes      []string          `json:"notes,omitempty"`
}

// Settings are the run's parameters.
type Settings struct {
	Command    string  `json:"command"`
	Via        string  `json:"via"`
	Rate       float64 `json:"rate"`
	Duration   string  `json:"duration"`
	Slice      string  `json:"slice"`
	ImageURL   string  `json:"image_url"`
	Timeout    string  `json:"timeout"`
	FindMax    bool    `json:"find_max"`
	P99Bound   string  `json:"p99_bound,omitempty"`
	MaxSteps   int     `json:"max_steps,omitempty"`
	MaxRate    float64 `json:"max_rate,omitempty"`
	StepLength string  `json:"step_duration,omitempty"`
	StateFile  string  `json:"state_file,omitempty"`
	Host       string  `json:"host,omitempty"` // what the client ran on: GOOS/GOARCH, CPUs
}

// Target is where a deployment was reached.
type Target struct {
	Kind string `json:"kind"`
	URL  string `json:"url"`
}

// Deployment is everything measured about one deployment.
type Deployment struct {
	Name      string         `json:"name"`
	Target    Target         `json:"target"`
	Summary   bench.Summary  `json:"summary"`
	Cost      *cost.Estimate `json:"cost,omitempty"`
	CostError string         `json:"cost_error,omitempty"`
	Toolchain *Toolchain     `json:"toolchain,omitempty"`
	Bucket    string         `json:"bucket,omitempty"`
	Table     string         `json:"images_table,omitempty"`
}

// Toolchain is the deployment process as recorded by `local up` / `local
// down` (or by the user): the lab's "compare deployment processes".
type Toolchain struct {
	SynthSeconds   float64  `json:"synth_seconds,omitempty"`
	DeploySeconds  float64  `json:"deploy_seconds,omitempty"`
	DestroySeconds float64  `json:"destroy_seconds,omitempty"`
	DestroyFrom    string   `json:"destroy_from,omitempty"` // "state" or "last local down"
	ResourceCount  int      `json:"resource_count,omitempty"`
	TemplateBytes  int      `json:"template_bytes,omitempty"`
	EmulatorGaps   int      `json:"emulator_gaps"`
	GapsPatched    int      `json:"emulator_gaps_patched"`
	Gaps           []string `json:"gaps,omitempty"`
	// StateStore says where the toolchain keeps the deployment's state
	// and how a second writer is refused.
	StateStore string `json:"state_store,omitempty"`
}

// PriceInfo says which prices the costs used.
type PriceInfo struct {
	File     string `json:"file"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
	AsOf     string `json:"as_of"`
	Source   string `json:"source"`
	Note     string `json:"note,omitempty"`
}

// Comparison puts two deployments side by side; Ratio is B / A.
type Comparison struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Rows []Row  `json:"rows"`
}

// Row is one compared figure. Ratio is B/A, omitted when undefined.
type Row struct {
	Group  string   `json:"group"`
	Metric string   `json:"metric"`
	Unit   string   `json:"unit"`
	A      *float64 `json:"a"`
	B      *float64 `json:"b"`
	Ratio  *float64 `json:"ratio,omitempty"`
	// Lower says whether lower is better (for the reader's eye only).
	Lower bool `json:"lower_is_better"`
}

// Compare builds the comparison of the first two deployments; nil with
// fewer than two.
func Compare(ds []Deployment, fm []bench.MaxResult) *Comparison {
	if len(ds) < 2 {
		return nil
	}
	a, b := &ds[0], &ds[1]
	c := &Comparison{A: a.Name, B: b.Name}
	add := func(group, metric, unit string, lower bool, f func(d *Deployment) (float64, bool)) {
		r := Row{Group: group, Metric: metric, Unit: unit, Lower: lower}
		if v, ok := f(a); ok {
			r.A = &v
		}
		if v, ok := f(b); ok {
			r.B = &v
		}
		if r.A == nil && r.B == nil {
			return
		}
		if r.A != nil && r.B != nil && *r.A != 0 {
			q := *r.B / *r.A
			if !math.IsInf(q, 0) && !math.IsNaN(q) {
				r.Ratio = &q
			}
		}
		c.Rows = append(c.Rows, r)
	}
	lat := func(get func(l bench.Latency) float64) func(d *Deployment) (float64, bool) {
		return func(d *Deployment) (float64, bool) { return get(d.Summary.Latency), d.Summary.Sent > 0 }
	}
	add("latency", "p50", "ms", true, lat(func(l bench.Latency) float64 { return l.P50 }))
	add("latency", "p90", "ms", true, lat(func(l bench.Latency) float64 { return l.P90 }))
	add("latency", "p99", "ms", true, lat(func(l bench.Latency) float64 { return l.P99 }))
	add("latency", "p99.9", "ms", true, lat(func(l bench.Latency) float64 { return l.P999 }))
	add("latency", "max", "ms", true, lat(func(l bench.Latency) float64 { return l.Max }))
	add("latency", "mean", "ms", true, lat(func(l bench.Latency) float64 { return l.Mean }))
	add("throughput", "offered", "req/s", false, func(d *Deployment) (float64, bool) { return d.Summary.OfferedRate, true })
	add("throughput", "achieved (ok)", "req/s", false, func(d *Deployment) (float64, bool) { return d.Summary.Throughput, true })
	add("throughput", "errors", "requests", true, func(d *Deployment) (float64, bool) { return float64(d.Summary.Errors), true })
	add("throughput", "send lag p99", "ms", true, func(d *Deployment) (float64, bool) { return d.Summary.SendLag.P99, d.Summary.Sent > 0 })
	for _, seg := range segmentNames(ds) {
		add("breakdown", seg, "ms", true, func(d *Deployment) (float64, bool) {
			for _, s := range d.Summary.Breakdown.Segments {
				if s.Name == seg {
					return s.MeanMs, true
				}
			}
			return 0, false
		})
	}
	units := func(get func(s *bench.Summary) float64) func(d *Deployment) (float64, bool) {
		return func(d *Deployment) (float64, bool) { return get(&d.Summary), d.Summary.CapacityAnswers > 0 }
	}
	add("dynamodb", "write units per request (table)", "WRU", true, units(func(s *bench.Summary) float64 { return s.MeanWriteUnits }))
	add("dynamodb", "write units per request (list index)", "WRU", true, units(func(s *bench.Summary) float64 { return s.MeanIndexWriteUnits }))
	add("dynamodb", "read units per request", "RRU", true, units(func(s *bench.Summary) float64 { return s.MeanReadUnits }))
	costOf := func(get func(e *cost.Estimate) float64) func(d *Deployment) (float64, bool) {
		return func(d *Deployment) (float64, bool) {
			if d.Cost == nil {
				return 0, false
			}
			return get(d.Cost), true
		}
	}
	add("cost", "per 1,000 requests", "USD", true, costOf(func(e *cost.Estimate) float64 { return e.Per1000 }))
	add("cost", "per month, requests", "USD", true, costOf(func(e *cost.Estimate) float64 { return e.VariableMonthly }))
	add("cost", "per month, idle", "USD", true, costOf(func(e *cost.Estimate) float64 { return e.IdleMonthly }))
	add("cost", "per month, total", "USD", true, costOf(func(e *cost.Estimate) float64 { return e.TotalMonthly }))
	tc := func(get func(t *Toolchain) float64) func(d *Deployment) (float64, bool) {
		return func(d *Deployment) (float64, bool) {
			if d.Toolchain == nil {
				return 0, false
			}
			v := get(d.Toolchain)
			return v, v != 0
		}
	}
	add("deployment", "synth time", "s", true, tc(func(t *Toolchain) float64 { return t.SynthSeconds }))
	add("deployment", "deploy time", "s", true, tc(func(t *Toolchain) float64 { return t.DeploySeconds }))
	add("deployment", "destroy time", "s", true, tc(func(t *Toolchain) float64 { return t.DestroySeconds }))
	add("deployment", "resources", "count", false, tc(func(t *Toolchain) float64 { return float64(t.ResourceCount) }))
	add("deployment", "template size", "bytes", true, tc(func(t *Toolchain) float64 { return float64(t.TemplateBytes) }))
	add("deployment", "emulator gaps", "count", true, func(d *Deployment) (float64, bool) {
		if d.Toolchain == nil {
			return 0, false
		}
		return float64(d.Toolchain.EmulatorGaps), true
	})
	if len(fm) >= 2 {
		byName := map[string]float64{}
		for _, m := range fm {
			byName[m.Deployment] = m.MaxSustained
		}
		add("find-max", "highest sustained rate", "req/s", false, func(d *Deployment) (float64, bool) {
			v, ok := byName[d.Name]
			return v, ok
		})
	}
	return c
}

// segmentNames lists breakdown segments in drawing order across ds.
func segmentNames(ds []Deployment) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range ds {
		for _, s := range d.Summary.Breakdown.Segments {
			if !seen[s.Name] {
				seen[s.Name] = true
				out = append(out, s.Name)
			}
		}
	}
	return out
}

// WriteJSON writes results.json.
func WriteJSON(w io.Writer, r *Results) error {
	r.SchemaVersion = SchemaVersion
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteAll writes the four files into dir (created if needed).
func WriteAll(dir string, r *Results, recs []bench.Record) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{ResultsFile, func(w io.Writer) error { return WriteJSON(w, r) }},
		{RequestsFile, func(w io.Writer) error { return WriteCSV(w, recs) }},
		{MarkdownFile, func(w io.Writer) error { return WriteMarkdown(w, r) }},
		{HTMLFile, func(w io.Writer) error { return WriteHTML(w, r, recs) }},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
