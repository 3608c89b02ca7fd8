package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twinstack/twinstack/internal/state"
)

// Status is how a step ended.
type Status string

// Step statuses. Only Fail fails the demo.
const (
	Pass Status = "pass"
	Fail Status = "fail" // a required step failed
	Info Status = "info" // an optional step reported differences
	Warn Status = "warn" // an optional step failed
	Skip Status = "skip" // not run
)

// Label is the status as the summary prints it.
func (s Status) Label() string { return strings.ToUpper(string(s)) }

// StepResult is one step of the demo.
type StepResult struct {
	Name    string   `json:"name"`
	Command []string `json:"command"` // twinstack arguments
	Status  Status   `json:"status"`
	Exit    int      `json:"exit_code"`
	Seconds float64  `json:"seconds"`
	Detail  string   `json:"detail,omitempty"`
}

// Summary is what a demo did, printed at its end and written to
// SummaryFile.
type Summary struct {
	StartedAt   time.Time    `json:"started_at"`
	FinishedAt  time.Time    `json:"finished_at"`
	Seconds     float64      `json:"seconds"`
	OK          bool         `json:"ok"`
	Interrupted bool         `json:"interrupted,omitempty"`
	Steps       []StepResult `json:"steps"`
	// Verify holds each deployment's verify counts, as verify reported
	// them; Emulator is the emulator verify named ("moto 5.2.1").
	Verify   map[string]*VerifyCounts `json:"verify,omitempty"`
	Emulator string                   `json:"emulator,omitempty"`
	// Timings are the synth, deploy and destroy times the local cloud
	// recorded during this demo (state.TimingsPath).
	Timings     map[string]state.Timings `json:"timings,omitempty"`
	TimingsNote string                   `json:"timings_note,omitempty"`
	Log         string                   `json:"log"`
}

// Print writes the human summary.
func (s *Summary) Print(w io.Writer) {
	fmt.Fprintln(w, "================ twinstack demo summary ================")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, st := range s.Steps {
		took := "-"
		if st.Status != Skip {
			took = fmt.Sprintf("%.1fs", st.Seconds)
		}
		if st.Detail == "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Status.Label(), st.Name, took)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.Status.Label(), st.Name, took, st.Detail)
		}
	}
	tw.Flush()
	if len(s.Verify) > 0 {
		emu := s.Emulator
		if emu == "" {
			emu = "no emulator"
		}
		var parts []string
		for _, d := range sortedKeys(s.Verify) {
			c := s.Verify[d]
			parts = append(parts, fmt.Sprintf("%s %d patched through the API, %d unverified", d, c.Patched, c.Unverified))
		}
		fmt.Fprintf(w, "emulator gaps (%s): %s (see emulator-gaps.json)\n", emu, strings.Join(parts, "; "))
	}
	if len(s.Timings) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, d := range sortedKeys(s.Timings) {
			t := s.Timings[d]
			fmt.Fprintf(tw, "%s\tsynth\t%.1fs\tdeploy\t%.1fs\tdestroy\t%.1fs\t\n", d, t.SynthSeconds, t.DeploySeconds, t.DestroySeconds)
		}
		tw.Flush()
	}
	if s.TimingsNote != "" {
		fmt.Fprintln(w, s.TimingsNote)
	}
	verdict := "PASS"
	switch {
	case s.Interrupted:
		verdict = "INTERRUPTED"
	case !s.OK:
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s in %.0fs (log: %s, summary: %s)\n", verdict, s.Seconds, s.Log, SummaryFile)
}

// Write writes the summary as indented JSON.
func (s *Summary) Write(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadSummary reads a summary Write wrote.
func ReadSummary(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("demo summary %s: %w", path, err)
	}
	return &s, nil
}

// timingsSince reads the timings file and keeps the deployments' entries
// recorded at or after since (older ones are an earlier run's).
func timingsSince(path string, deployments []string, since time.Time) (map[string]state.Timings, string) {
	all, err := state.LoadTimings(path)
	if err != nil {
		return nil, "timings unreadable: " + err.Error()
	}
	out := map[string]state.Timings{}
	for _, d := range deployments {
		if t, ok := all[d]; ok && !t.RecordedAt.Before(since.Truncate(time.Second)) {
			out[d] = t
		}
	}
	if len(out) == 0 {
		return nil, ""
	}
	return out, ""
}

// sortedKeys orders deployment names: terraform, cloudformation, then the
// rest by name.
func sortedKeys[V any](m map[string]V) []string {
	s := &state.State{Deployments: map[string]*state.Deployment{}}
	for k := range m {
		s.Deployments[k] = nil
	}
	return s.Names()
}
