package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/twinstack/twinstack/internal/bench"
)

// The report is built once as sections of blocks, then rendered as
// Markdown or HTML, so the two never disagree.
type section struct {
	title  string
	blocks []block
}

type block interface{ isBlock() }

type para struct {
	text   string
	strong bool
}

type list struct{ items []string }

type table struct {
	header []string
	rows   [][]string
	right  []bool // right-align column i
}

// chart is a hook the HTML renderer fills; Markdown skips it.
type chart struct{ kind string }

func (para) isBlock()  {}
func (list) isBlock()  {}
func (table) isBlock() {}
func (chart) isBlock() {}

const (
	chartTimeline  = "timeline"
	chartCDF       = "cdf"
	chartBreakdown = "breakdown"
)

func buildDoc(r *Results) []section {
	out := []section{headerSection(r), summarySection(r)}
	if sec, ok := comparisonSection(r); ok {
		out = append(out, sec)
	}
	out = append(out, breakdownSection(r), costSection(r), deploymentSection(r))
	if sec, ok := findMaxSection(r); ok {
		out = append(out, sec)
	}
	if len(r.Notes) > 0 {
		out = append(out, section{title: "Notes", blocks: []block{list{items: r.Notes}}})
	}
	return out
}

// headerSection says where the figures come from and how they were run.
func headerSection(r *Results) section {
	head := section{title: "twinstack bench report"}
	head.blocks = append(head.blocks, para{text: "Figures from: " + r.Label + ".", strong: true})
	s := r.Settings
	run := []string{
		fmt.Sprintf("Started %s, finished %s (%s).", r.StartedAt.UTC().Format(time.RFC3339), r.FinishedAt.UTC().Format(time.RFC3339), r.FinishedAt.Sub(r.StartedAt).Round(time.Second)),
		fmt.Sprintf("Via %s; open-loop constant rate %g req/s for %s per deployment; deployments interleaved in %s slices.", s.Via, s.Rate, s.Duration, s.Slice),
		"Image: " + s.ImageURL,
	}
	if s.FindMax {
		run = append(run, fmt.Sprintf("Find-max: steps of %s, p99 bound %s, at most %d steps, rates up to %g req/s.", s.StepLength, s.P99Bound, s.MaxSteps, s.MaxRate))
	}
	if s.Host != "" {
		run = append(run, "Client: "+s.Host+".")
	}
	run = append(run, "Command: `"+s.Command+"`")
	head.blocks = append(head.blocks, list{items: run})
	if r.Interrupted {
		head.blocks = append(head.blocks, para{text: "The run was interrupted: the figures cover what was measured until then.", strong: true})
	}
	return head
}

// summarySection is the latency table, the errors and the charts.
func summarySection(r *Results) section {
	sum := section{title: "Summary"}
	t := table{header: []string{"deployment", "target", "sent/planned", "ok", "errors", "offered req/s", "achieved req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms"},
		right: []bool{false, false, true, true, true, true, true, true, true, true, true, true, true}}
	for _, d := range r.Deployments {
		m := d.Summary
		t.rows = append(t.rows, []string{d.Name, d.Target.Kind + " " + d.Target.URL, fmt.Sprintf("%d/%d", m.Sent, m.Planned), fmt.Sprint(m.OK), fmt.Sprint(m.Errors),
			num(m.OfferedRate), num(m.Throughput), ms(m.Latency.P50), ms(m.Latency.P90), ms(m.Latency.P99), ms(m.Latency.P999), ms(m.Latency.Max), ms(m.Latency.Mean)})
	}
	sum.blocks = append(sum.blocks, t, para{text: "Latency runs from the moment a request was sent to the end of its answer and covers every request, errors included. Requests left on a fixed schedule (open loop); send lag p99: " + lags(r.Deployments) + "."})
	var errs []string
	for _, d := range r.Deployments {
		if d.Summary.Errors > 0 {
			errs = append(errs, d.Name+": "+bench.ErrorList(d.Summary.ErrorsByCode))
		}
	}
	if len(errs) > 0 {
		sum.blocks = append(sum.blocks, para{text: "Errors by code:"}, list{items: errs})
	} else {
		sum.blocks = append(sum.blocks, para{text: "No errors."})
	}
	sum.blocks = append(sum.blocks, chart{kind: chartTimeline}, chart{kind: chartCDF})
	return sum
}

// comparisonSection is the side-by-side table; ok is false without a
// comparison.
func comparisonSection(r *Results) (sec section, ok bool) {
	c := r.Comparison
	if c == nil {
		return section{}, false
	}
	sec = section{title: fmt.Sprintf("Side by side (ratio = %s / %s)", c.B, c.A)}
	t := table{header: []string{"", "metric", c.A, c.B, "ratio"}, right: []bool{false, false, true, true, true}}
	for _, row := range c.Rows {
		t.rows = append(t.rows, []string{row.Group, row.Metric + " (" + row.Unit + ")", val(row.A, row.Unit), val(row.B, row.Unit), ratio(row.Ratio)})
	}
	sec.blocks = append(sec.blocks, t)
	return sec, true
}

// breakdownSection is where the time goes: segments and raw figures.
func breakdownSection(r *Results) section {
	bd := section{title: "Where the time goes"}
	names := segmentNames(r.Deployments)
	if len(names) == 0 {
		bd.blocks = append(bd.blocks, para{text: "The answers carried no timing breakdown (no Server-Timing header, no server_ms/total_ms)."})
	} else {
		t := table{header: []string{"segment (mean ms)"}, right: []bool{false}}
		for _, d := range r.Deployments {
			t.header = append(t.header, fmt.Sprintf("%s (n=%d)", d.Name, d.Summary.Breakdown.Requests))
			t.right = append(t.right, true)
		}
		for _, n := range names {
			row := []string{n}
			for _, d := range r.Deployments {
				row = append(row, segValue(d.Summary.Breakdown, n))
			}
			t.rows = append(t.rows, row)
		}
		bd.blocks = append(bd.blocks, t, chart{kind: chartBreakdown},
			para{text: "Segments are means over the successful requests that carried every figure, so they add up to those requests' mean latency. " +
				"invoke overhead = client latency - Lambda total_ms; in-function = total_ms - server_ms; network hop = the caller's view of the server call - the server's Server-Timing total; download, S3 put and DynamoDB put come from Server-Timing; server other = its total minus those three."})
	}
	comp := table{header: []string{"figure (ms)"}, right: []bool{false}}
	var compNames []string
	seen := map[string]bool{}
	for _, d := range r.Deployments {
		comp.header = append(comp.header, d.Name+" mean", d.Name+" p50")
		comp.right = append(comp.right, true, true)
		for _, c := range d.Summary.Breakdown.Components {
			if !seen[c.Name] {
				seen[c.Name] = true
				compNames = append(compNames, c.Name)
			}
		}
	}
	for _, n := range compNames {
		row := []string{n}
		for _, d := range r.Deployments {
			m, p := "-", "-"
			for _, c := range d.Summary.Breakdown.Components {
				if c.Name == n {
					m, p = ms(c.MeanMs), ms(c.P50Ms)
				}
			}
			row = append(row, m, p)
		}
		comp.rows = append(comp.rows, row)
	}
	if len(compNames) > 0 {
		bd.blocks = append(bd.blocks, para{text: "Raw figures of successful requests:"}, comp)
	}
	return bd
}

// costSection is the cost estimate of each deployment.
func costSection(r *Results) section {
	cs := section{title: "Cost"}
	cs.blocks = append(cs.blocks, para{text: fmt.Sprintf("Prices: %s (%s, %s, as of %s). Source: %s.", r.Prices.File, r.Prices.Region, r.Prices.Currency, r.Prices.AsOf, r.Prices.Source)})
	if r.Prices.Note != "" {
		cs.blocks = append(cs.blocks, para{text: r.Prices.Note})
	}
	if r.Local {
		cs.blocks = append(cs.blocks, para{text: "These are AWS prices applied to local-cloud measurements: what the measured rate and durations would cost on AWS, not a bill."})
	}
	var assumptions []string
	seenA := map[string]bool{}
	for _, d := range r.Deployments {
		if d.CostError != "" {
			cs.blocks = append(cs.blocks, para{text: d.Name + ": no estimate: " + d.CostError})
			continue
		}
		if d.Cost == nil {
			continue
		}
		e := d.Cost
		t := table{header: []string{d.Name + ": per request", "basis", "per 1,000 requests", "per month"}, right: []bool{false, false, true, true}}
		for _, l := range e.Variable {
			t.rows = append(t.rows, []string{l.Item, l.Basis, usd(l.Per1000), usd(l.Monthly)})
		}
		t.rows = append(t.rows, []string{"total per request", fmt.Sprintf("at %s req/s (%.0f requests/month)", num(e.RatePerSecond), e.RequestsPerMonth), usd(e.Per1000), usd(e.VariableMonthly)})
		it := table{header: []string{d.Name + ": idle (24/7)", "basis", "per month"}, right: []bool{false, false, true}}
		for _, l := range e.Idle {
			it.rows = append(it.rows, []string{l.Item, l.Basis, usd(l.Monthly)})
		}
		it.rows = append(it.rows, []string{"total idle", "", usd(e.IdleMonthly)})
		cs.blocks = append(cs.blocks, t, it, para{text: fmt.Sprintf("%s per month in all: %s (%s per request + %s idle).", d.Name, usd(e.TotalMonthly), usd(e.VariableMonthly), usd(e.IdleMonthly)), strong: true})
		for _, a := range e.Assumptions {
			if !seenA[a] {
				seenA[a] = true
				assumptions = append(assumptions, a)
			}
		}
	}
	if len(assumptions) > 0 {
		cs.blocks = append(cs.blocks, para{text: "Assumptions:"}, list{items: assumptions})
	}
	return cs
}

// deploymentSection compares the deployment process (timings, size,
// emulator gaps, state).
func deploymentSection(r *Results) section {
	dc := section{title: "Deployment process"}
	t := table{header: []string{"figure"}, right: []bool{false}}
	have := false
	for _, d := range r.Deployments {
		t.header = append(t.header, d.Name)
		t.right = append(t.right, true)
		have = have || d.Toolchain != nil
	}
	if !have {
		dc.blocks = append(dc.blocks, para{text: "No deployment timings recorded (no state file, or `local up` did not record them)."})
	} else {
		rows := []struct {
			name string
			get  func(t *Toolchain) string
		}{
			{"synth time", func(t *Toolchain) string { return secs(t.SynthSeconds) }},
			{"deploy time", func(t *Toolchain) string { return secs(t.DeploySeconds) }},
			{"destroy time", func(t *Toolchain) string {
				if t.DestroySeconds == 0 {
					return "-"
				}
				return secs(t.DestroySeconds) + " (" + t.DestroyFrom + ")"
			}},
			{"resources", func(t *Toolchain) string { return count(t.ResourceCount) }},
			{"template size", func(t *Toolchain) string { return bytesOf(t.TemplateBytes) }},
			{"emulator gaps (patched)", func(t *Toolchain) string { return fmt.Sprintf("%d (%d)", t.EmulatorGaps, t.GapsPatched) }},
			{"state and locking", func(t *Toolchain) string {
				if t.StateStore == "" {
					return "-"
				}
				return t.StateStore
			}},
		}
		for _, rw := range rows {
			row := []string{rw.name}
			for _, d := range r.Deployments {
				if d.Toolchain == nil {
					row = append(row, "-")
				} else {
					row = append(row, rw.get(d.Toolchain))
				}
			}
			t.rows = append(t.rows, row)
		}
		dc.blocks = append(dc.blocks, t)
		for _, d := range r.Deployments {
			if d.Toolchain != nil && len(d.Toolchain.Gaps) > 0 {
				dc.blocks = append(dc.blocks, para{text: d.Name + " emulator gaps:"}, list{items: d.Toolchain.Gaps})
			}
		}
	}
	return dc
}

// findMaxSection is the find-max search of each deployment; ok is false
// without one.
func findMaxSection(r *Results) (fm section, ok bool) {
	if len(r.FindMax) == 0 {
		return section{}, false
	}
	fm = section{title: "Highest sustained rate (find-max)"}
	t := table{header: []string{"deployment", "highest sustained req/s", "broke at req/s", "why it broke", "search stopped"}, right: []bool{false, true, true, false, false}}
	for _, m := range r.FindMax {
		broke := "-"
		if m.BrokeAt > 0 {
			broke = num(m.BrokeAt)
		}
		t.rows = append(t.rows, []string{m.Deployment, num(m.MaxSustained), broke, dash(m.Reason), m.Stopped})
	}
	fm.blocks = append(fm.blocks, t)
	for _, m := range r.FindMax {
		st := table{header: []string{m.Deployment + " step req/s", "sent", "ok", "errors", "p50 ms", "p99 ms", "send lag p99 ms", "verdict"}, right: []bool{true, true, true, true, true, true, true, false}}
		for _, s := range m.Steps {
			v := "sustained"
			if !s.Sustained {
				v = "broke: " + s.Reason
			}
			st.rows = append(st.rows, []string{num(s.Rate), fmt.Sprint(s.Summary.Sent), fmt.Sprint(s.Summary.OK), fmt.Sprint(s.Summary.Errors),
				ms(s.Summary.Latency.P50), ms(s.Summary.Latency.P99), ms(s.Summary.SendLag.P99), v})
		}
		fm.blocks = append(fm.blocks, st)
	}
	return fm, true
}

func lags(ds []Deployment) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, d.Name+" "+ms(d.Summary.SendLag.P99)+" ms")
	}
	return strings.Join(parts, ", ")
}

func segValue(b bench.Breakdown, name string) string {
	for _, s := range b.Segments {
		if s.Name == name {
			return ms(s.MeanMs)
		}
	}
	return "-"
}

// ms formats milliseconds with three significant digits or more.
func ms(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// num formats a rate or count.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e9 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func usd(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "$0"
	case a >= 100:
		return fmt.Sprintf("$%.0f", v)
	case a >= 1:
		return fmt.Sprintf("$%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("$%.4f", v)
	default:
		return fmt.Sprintf("$%.3g", v)
	}
}

func secs(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f s", v)
}

func count(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func bytesOf(n int) string {
	switch {
	case n == 0:
		return "-"
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func val(v *float64, unit string) string {
	if v == nil {
		return "-"
	}
	switch unit {
	case "ms":
		return ms(*v)
	case "USD":
		return usd(*v)
	case "s":
		return secs(*v)
	case "bytes":
		return bytesOf(int(*v))
	}
	return num(*v)
}

func ratio(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.2fx", *r)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
