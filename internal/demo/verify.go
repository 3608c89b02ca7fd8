package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// VerifyCounts is the "summary" object of `twinstack verify --format
// json`: how many checks ended in each status.
type VerifyCounts struct {
	Total      int `json:"total"`
	OK         int `json:"ok"`
	Patched    int `json:"patched"`
	Unverified int `json:"unverified"`
	Drift      int `json:"drift"`
	Missing    int `json:"missing"`
	Error      int `json:"error"`
}

// String lists the non-zero counts: "41 ok, 3 patched, 2 unverified".
func (c VerifyCounts) String() string {
	var parts []string
	for _, x := range []struct {
		n    int
		name string
	}{{c.OK, "ok"}, {c.Patched, "patched"}, {c.Unverified, "unverified"}, {c.Drift, "drift"}, {c.Missing, "missing"}, {c.Error, "error"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", x.n, x.name))
		}
	}
	if len(parts) == 0 {
		return "no checks"
	}
	return strings.Join(parts, ", ")
}

// verifyReport is what the demo reads of a verify report: the contract's
// summary, or, from a verify that predates it (`--json FILE`), the
// results' statuses to count.
type verifyReport struct {
	Deployment string        `json:"deployment"`
	Emulator   string        `json:"emulator"`
	Summary    *VerifyCounts `json:"summary"`
	Results    []struct {
		Status string `json:"status"`
	} `json:"results"`
}

// counts is the report's summary, or the results counted by status
// (the older report's "different" is drift, its "emulator gap" a check
// the emulator leaves unverified).
func (r *verifyReport) counts() (VerifyCounts, error) {
	if r.Summary != nil {
		return *r.Summary, nil
	}
	var c VerifyCounts
	for _, x := range r.Results {
		c.Total++
		switch x.Status {
		case "ok":
			c.OK++
		case "patched":
			c.Patched++
		case "unverified", "emulator gap":
			c.Unverified++
		case "drift", "different":
			c.Drift++
		case "missing":
			c.Missing++
		case "error":
			c.Error++
		default:
			return VerifyCounts{}, fmt.Errorf("unknown check status %q", x.Status)
		}
	}
	return c, nil
}

func parseVerify(b []byte) (*verifyReport, error) {
	var r verifyReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("verify report: %w", err)
	}
	if r.Summary == nil && r.Results == nil {
		return nil, errors.New("verify report: no summary and no results")
	}
	return &r, nil
}

// verify runs one verify step: the JSON report on stdout is kept in
// VerifyFile, its counts go to the summary. A verify that does not know
// --format (exit 2, no JSON) is asked again with --json FILE.
func (d *run) verify(ctx context.Context, s step, res *StepResult) (int, error) {
	file := filepath.Join(d.o.Root, VerifyFile(s.deployment))
	var stdout bytes.Buffer
	exit, err := d.r.Run(ctx, s.args, &stdout, d.out)
	if err != nil {
		return exit, err
	}
	rep, perr := parseVerify(stdout.Bytes())
	if perr != nil && exit == 2 {
		d.out.Write(stdout.Bytes())
		args := []string{"verify", "--deployment", s.deployment, "--json", file}
		fmt.Fprintf(d.out, "verify printed no JSON report: asking again with --json %s\n", VerifyFile(s.deployment))
		res.Command = args
		_ = os.Remove(file)
		if exit, err = d.r.Run(ctx, args, d.out, d.out); err != nil {
			return exit, err
		}
		b, rerr := os.ReadFile(file)
		if rerr != nil {
			return exit, fmt.Errorf("no verify report: %w", rerr)
		}
		rep, perr = parseVerify(b)
	} else if perr == nil {
		if werr := os.WriteFile(file, stdout.Bytes(), 0o644); werr != nil {
			return exit, werr
		}
	} else {
		d.out.Write(stdout.Bytes())
	}
	if perr != nil {
		return exit, perr
	}
	c, err := rep.counts()
	if err != nil {
		return exit, err
	}
	d.sum.Verify[s.deployment] = &c
	if rep.Emulator != "" {
		d.sum.Emulator = rep.Emulator
	}
	res.Detail = c.String()
	fmt.Fprintf(d.out, "verify %s: %s (report: %s)\n", s.deployment, c, VerifyFile(s.deployment))
	return exit, nil
}
