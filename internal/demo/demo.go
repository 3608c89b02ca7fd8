package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/state"
)

// Files the demo writes under the project root.
const (
	LogFile     = state.Dir + "/demo.log"  // everything the steps printed
	SummaryFile = state.Dir + "/demo.json" // the Summary
	BenchDir    = state.Dir + "/bench"     // the short benchmark's report
)

// VerifyFile is where the verify report of one deployment is kept.
func VerifyFile(deployment string) string {
	return state.Dir + "/verify-" + deployment + ".json"
}

// Runner runs one twinstack subcommand (args without the program name) and
// returns its exit status. err reports only that the command could not be
// run at all.
type Runner interface {
	Run(ctx context.Context, args []string, stdout, stderr io.Writer) (exit int, err error)
}

// Options configure Run. Zero values take the defaults.
type Options struct {
	// Root is the project root: the subcommands run there and the demo's
	// files go to Root/.twinstack.
	Root string
	// Twinstack is the binary `local up` runs as the servers, the load
	// balancer and the origin (its --twinstack flag); empty lets `local up`
	// build one.
	Twinstack string
	// Instances is the number of servers per deployment (default 2).
	Instances int
	// Deployments in order (default terraform, cloudformation).
	Deployments []string
	// BenchDuration and BenchRate shape the short benchmark (default 5s at
	// 2 req/s per deployment).
	BenchDuration time.Duration
	BenchRate     float64
	// Out receives the progress and every step's output (also in LogFile).
	Out io.Writer
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Root == "" {
		o.Root = "."
	}
	if o.Instances == 0 {
		o.Instances = 2
	}
	if len(o.Deployments) == 0 {
		o.Deployments = []string{state.Terraform, state.CloudFormation}
	}
	if o.BenchDuration == 0 {
		o.BenchDuration = 5 * time.Second
	}
	if o.BenchRate == 0 {
		o.BenchRate = 2
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// kind says how a step's exit status is judged.
type kind int

const (
	required kind = iota // non-zero fails the demo
	optional             // 1 is "differences reported" (info); other failures warn
	verifier             // the verify contract: 0 ok, 3 unverified only, 1 drift, 2 error
)

// step is one subcommand of the plan.
type step struct {
	name       string
	args       []string
	kind       kind
	deployment string // verify steps
}

// plan is the steps between `local up` and `local down`.
func (o *Options) plan() []step {
	var steps []step
	for _, d := range o.Deployments {
		steps = append(steps, step{name: "verify " + d, kind: verifier, deployment: d,
			args: []string{"verify", "--deployment", d, "--format", "json"}})
		for _, via := range []string{"lambda", "server"} {
			steps = append(steps, step{name: "invoke " + d + " via " + via,
				args: []string{"invoke", "--deployment", d, "--via", via}})
		}
		steps = append(steps, step{name: "consistency " + d, args: []string{"consistency", "--deployment", d}})
	}
	dur := o.BenchDuration.String()
	rate := strconv.FormatFloat(o.BenchRate, 'g', -1, 64)
	return append(steps,
		step{name: "twinstack diff (both synths compared by meaning)", kind: optional, args: []string{"diff", "--synth"}},
		step{name: fmt.Sprintf("twinstack bench (%s at %s req/s per deployment)", dur, rate), kind: optional,
			args: []string{"bench", "--duration", dur, "--rate", rate, "--out", BenchDir}},
	)
}

func (o *Options) upStep() step {
	args := []string{"local", "up", "--instances", strconv.Itoa(o.Instances), "--deployments", strings.Join(o.Deployments, ",")}
	if o.Twinstack != "" {
		args = append(args, "--twinstack", o.Twinstack)
	}
	return step{name: fmt.Sprintf("local up (%d instances per deployment)", o.Instances), args: args}
}

// run is one demo.
type run struct {
	o     Options
	r     Runner
	out   io.Writer // o.Out and the log
	start time.Time
	sum   *Summary
	n     int // steps started, for the progress lines
	total int
}

// Run runs the demo with r and returns its summary, also printed to o.Out
// and written to SummaryFile. A failed step is in the summary (OK false),
// not an error; the error reports only that the demo could not start or
// write its files. `local down` always runs once `local up` was tried.
func Run(ctx context.Context, r Runner, o Options) (*Summary, error) {
	const op = "demo"
	o.defaults()
	if err := os.MkdirAll(filepath.Join(o.Root, state.Dir), 0o755); err != nil {
		return nil, apperr.E(apperr.Internal, op, err)
	}
	logf, err := os.Create(filepath.Join(o.Root, LogFile))
	if err != nil {
		return nil, apperr.E(apperr.Internal, op, err)
	}
	defer logf.Close()
	plan := o.plan()
	d := &run{o: o, r: r, out: io.MultiWriter(o.Out, logf), start: o.Now(), total: len(plan) + 2,
		sum: &Summary{StartedAt: o.Now().UTC(), Log: LogFile, Verify: map[string]*VerifyCounts{}}}

	up := d.do(ctx, o.upStep())
	for _, s := range plan {
		switch {
		case up.Status != Pass:
			d.skip(s, "local up failed")
		case ctx.Err() != nil:
			d.skip(s, "interrupted")
		default:
			d.do(ctx, s)
		}
	}
	// Down runs even after an interrupt: the stacks and the local processes
	// must not outlive the demo.
	d.do(context.WithoutCancel(ctx), step{name: "local down", args: []string{"local", "down"}})

	s := d.sum
	s.Interrupted = ctx.Err() != nil
	s.FinishedAt = o.Now().UTC()
	s.Seconds = seconds(s.FinishedAt.Sub(s.StartedAt))
	s.OK = !s.Interrupted
	for _, st := range s.Steps {
		if st.Status == Fail {
			s.OK = false
		}
	}
	s.Timings, s.TimingsNote = timingsSince(filepath.Join(o.Root, state.TimingsPath), o.Deployments, s.StartedAt)
	fmt.Fprintln(d.out)
	s.Print(d.out)
	if err := s.Write(filepath.Join(o.Root, SummaryFile)); err != nil {
		return s, apperr.E(apperr.Internal, op, err)
	}
	return s, nil
}

// do runs one step, prints its progress and records its result.
func (d *run) do(ctx context.Context, s step) StepResult {
	d.n++
	fmt.Fprintf(d.out, "\n=== [%d/%d %s] %s\n", d.n, d.total, d.elapsed(), s.name)
	t := d.o.Now()
	res := StepResult{Name: s.name, Command: s.args}
	var exit int
	var err error
	switch s.kind {
	case verifier:
		exit, err = d.verify(ctx, s, &res)
	default:
		exit, err = d.r.Run(ctx, s.args, d.out, d.out)
	}
	res.Exit, res.Seconds = exit, seconds(d.o.Now().Sub(t))
	judge(s.kind, exit, err, &res)
	d.sum.Steps = append(d.sum.Steps, res)
	detail := ""
	if res.Detail != "" {
		detail = ": " + res.Detail
	}
	fmt.Fprintf(d.out, "--- %s %s (%.1fs)%s\n", res.Status.Label(), s.name, res.Seconds, detail)
	return res
}

func (d *run) skip(s step, why string) {
	d.n++
	d.sum.Steps = append(d.sum.Steps, StepResult{Name: s.name, Command: s.args, Status: Skip, Detail: why})
}

func (d *run) elapsed() string {
	return fmt.Sprintf("%.0fs", d.o.Now().Sub(d.start).Seconds())
}

// judge sets the step's status from how its command ended.
func judge(k kind, exit int, err error, res *StepResult) {
	if err != nil {
		res.Detail = appendDetail(err.Error(), res.Detail)
		if k == optional {
			res.Status = Warn
		} else {
			res.Status = Fail
		}
		return
	}
	switch {
	case exit == 0:
		res.Status = Pass
	case k == verifier && exit == 3:
		res.Status = Pass // nothing wrong; some checks unverifiable on the emulator
	case k == optional && exit == 1:
		res.Status, res.Detail = Info, appendDetail(res.Detail, "differences reported")
	case k == optional:
		res.Status, res.Detail = Warn, appendDetail(res.Detail, exitText(exit))
	default:
		res.Status, res.Detail = Fail, appendDetail(res.Detail, exitText(exit))
	}
}

func exitText(exit int) string {
	if exit < 0 {
		return "killed by a signal"
	}
	return "exit status " + strconv.Itoa(exit)
}

func appendDetail(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(100*time.Millisecond)) / float64(time.Second)
}
