package demo

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// funcRunner answers each subcommand with fn.
type funcRunner func(ctx context.Context, args []string, stdout io.Writer) int

func (f funcRunner) Run(ctx context.Context, args []string, stdout, _ io.Writer) (int, error) {
	return f(ctx, args, stdout), nil
}

// TestInterrupt: an interrupt during a step skips the rest, and local down
// still runs, with a context that is not cancelled.
func TestInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ran []string
	downCtxErr := context.Canceled
	r := funcRunner(func(ctx context.Context, args []string, stdout io.Writer) int {
		ran = append(ran, strings.Join(args[:2], " "))
		switch args[0] {
		case "invoke":
			cancel()
			return 130
		case "verify":
			io.WriteString(stdout, `{"summary":{"total":1,"ok":1},"results":[]}`)
		case "local":
			if args[1] == "down" {
				downCtxErr = ctx.Err()
			}
		}
		return 0
	})
	sum, err := Run(ctx, r, Options{Root: t.TempDir(), Deployments: []string{"terraform"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"local up", "verify --deployment", "invoke --deployment", "local down"}
	if d := cmp.Diff(want, ran); d != "" {
		t.Errorf("steps run (-want +got):\n%s", d)
	}
	if downCtxErr != nil {
		t.Errorf("local down ran with a done context: %v", downCtxErr)
	}
	if sum.OK || !sum.Interrupted {
		t.Errorf("OK %v, Interrupted %v; want false, true", sum.OK, sum.Interrupted)
	}
	var statuses []Status
	for _, s := range sum.Steps {
		statuses = append(statuses, s.Status)
	}
	// up, verify, invoke lambda (interrupted), invoke server, consistency,
	// diff, bench, down
	wantStatus := []Status{Pass, Pass, Fail, Skip, Skip, Skip, Skip, Pass}
	if d := cmp.Diff(wantStatus, statuses); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
}

// TestCounts: a report without the contract's summary (older verify) is
// counted by status; an unknown status is an error, not a silent zero.
func TestCounts(t *testing.T) {
	r, err := parseVerify([]byte(`{"results":[{"status":"ok"},{"status":"emulator gap"},{"status":"different"},{"status":"missing"},{"status":"error"},{"status":"patched"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.counts()
	if err != nil {
		t.Fatal(err)
	}
	want := VerifyCounts{Total: 6, OK: 1, Patched: 1, Unverified: 1, Drift: 1, Missing: 1, Error: 1}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	r, _ = parseVerify([]byte(`{"results":[{"status":"strange"}]}`))
	if _, err := r.counts(); err == nil {
		t.Error("unknown status counted without error")
	}
	if _, err := parseVerify([]byte(`{"deployment":"terraform"}`)); err == nil {
		t.Error("a report with neither summary nor results parsed")
	}
}
