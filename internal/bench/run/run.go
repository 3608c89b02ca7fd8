// Package run is one `twinstack bench`: it resolves the targets (from the
// local cloud's state file or from URLs), drives the load with package bench
// (a fixed-rate run or a find-max search), prices each deployment with
// package cost from the model of what it runs (constructs.New), and writes
// the report with package report. The CLI only parses flags and prints.
//
// It lives below bench because report imports bench: bench itself stays a
// load driver that knows no report format and no state file. It imports
// bench, cost, report, state, constructs and apperr, and the AWS SDK's
// configuration to sign function-URL requests; never the local cloud.
package run

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/cost"
	"github.com/twinstack/twinstack/internal/report"
	"github.com/twinstack/twinstack/internal/state"
)

// Both selects both deployments, interleaved.
const Both = "both"

// Options are the settings of one run (the flags of `twinstack bench`,
// already checked by the caller).
type Options struct {
	Deployment string // state.Terraform, state.CloudFormation or Both
	Via        string // cost.ViaLambda or cost.ViaServer
	Rate       float64
	Duration   time.Duration
	Slice      time.Duration
	ImageURL   string // empty: the local origin's first image
	Timeout    time.Duration
	MaxWorkers uint64

	FindMax      bool
	P99Bound     time.Duration
	MaxSteps     int
	StepDuration time.Duration
	MaxRate      float64

	// Prices are the list prices to estimate cost with.
	Prices *cost.Prices
	// Out is the report directory.
	Out string
	// StatePath is the local cloud's state file; its timings file is read
	// from the same directory.
	StatePath string
	// TargetURLs replace the state file: "URL" or "deployment=URL".
	TargetURLs []string
	TargetKind string // empty: from Via and the URL
	Region     string // for signing function URLs; empty: from the URL
	Label      string
	// Command is the command line, for the report.
	Command string
	// Stack is the stack configuration the deployments were made with
	// (defaults < twinstack.json < TWINSTACK_*); the state file's recorded
	// figures take precedence.
	Stack constructs.Config
	// Progress receives what the run is doing; Logger its warnings.
	Progress io.Writer
	Logger   *slog.Logger
	// Credentials loads AWS credentials to sign function-URL requests
	// (default: the SDK's default chain).
	Credentials CredentialsFunc
}

// Names are the deployments the run measures, in order.
func (o *Options) Names() []string {
	if o.Deployment == Both {
		return []string{state.Terraform, state.CloudFormation}
	}
	return []string{o.Deployment}
}

// Run measures the deployments, writes the report to o.Out and returns the
// results. An interrupt (ctx done) ends the run early with what was
// measured (Results.Interrupted); other failures are errors and write no
// report.
func Run(ctx context.Context, o Options) (*report.Results, error) {
	const op = "bench"
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Credentials == nil {
		o.Credentials = DefaultCredentials
	}
	st, err := state.Load(o.StatePath)
	if err != nil && !(len(o.TargetURLs) > 0 && errors.Is(err, fs.ErrNotExist)) {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, apperr.Errorf(apperr.NotFound, op, "no state file %s: run `twinstack local up` first, or name the targets with --target-url", o.StatePath)
		}
		return nil, err
	}
	targets, fromState, err := Targets(ctx, o, st)
	if err != nil {
		return nil, err
	}

	d := &bench.Driver{
		Timeout:    o.Timeout,
		MaxWorkers: o.MaxWorkers,
		Progress:   bench.NewProgress(o.Progress, bench.IsTerminal(o.Progress), 0),
		Logger:     o.Logger,
	}
	var desc []string
	for _, t := range targets {
		desc = append(desc, fmt.Sprintf("%s (%s %s)", t.Name, t.Kind, t.URL))
	}
	fmt.Fprintf(o.Progress, "bench: %s\n", strings.Join(desc, ", "))

	p := o.Prices
	res := &report.Results{
		StartedAt: time.Now().UTC(),
		Local:     fromState && st != nil && st.Local(),
		Settings: report.Settings{
			Command: o.Command, Via: o.Via, Rate: o.Rate,
			Duration: o.Duration.String(), Slice: o.Slice.String(), ImageURL: targets[0].ImageURL, Timeout: o.Timeout.String(),
			FindMax: o.FindMax, StateFile: o.StatePath,
			Host: fmt.Sprintf("%s/%s, %d CPUs, Go %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		},
		Prices: report.PriceInfo{File: p.File, Region: p.Region, Currency: p.Currency, AsOf: p.AsOf, Source: p.Source, Note: p.Note},
	}
	res.Label = label(o, res.Local, fromState, targets)

	recs, summaries, runErr := drive(ctx, o, d, targets, res)
	if runErr != nil && ctx.Err() == nil {
		return nil, apperr.E(apperr.Internal, op, runErr)
	}
	res.Interrupted = ctx.Err() != nil
	res.FinishedAt = time.Now().UTC()

	timings, err := state.LoadTimings(filepath.Join(filepath.Dir(o.StatePath), filepath.Base(state.TimingsPath)))
	if err != nil {
		res.Notes = append(res.Notes, "timings file unreadable: "+err.Error())
	}
	for _, t := range targets {
		res.Deployments = append(res.Deployments, deployment(o, t, st, summaries[t.Name], timings[t.Name]))
	}
	res.Comparison = report.Compare(res.Deployments, res.FindMax)
	if res.Local {
		res.Notes = append(res.Notes, "Local-cloud figures: the stacks are deployed into moto and the servers, load balancer stand-in, Lambda (under the Runtime Interface Emulator) and image origin run as local processes on this machine, next to the load generator. Latency and throughput say how the two deployments compare here, not what AWS would measure.")
	}
	if o.FindMax {
		res.Notes = append(res.Notes, "With --find-max, each deployment's summary, breakdown and cost are those of its highest sustained step (or its first step when none was sustained).")
	}
	if err := report.WriteAll(o.Out, res, recs); err != nil {
		return nil, apperr.E(apperr.Internal, op, err)
	}
	return res, nil
}

// drive sends the load: one fixed-rate phase, or a find-max search whose
// per-deployment summary is its best step.
func drive(ctx context.Context, o Options, d *bench.Driver, targets []*bench.Target, res *report.Results) ([]bench.Record, map[string]bench.Summary, error) {
	summaries := map[string]bench.Summary{}
	if o.FindMax {
		fm := bench.FindMax{Start: o.Rate, MaxRate: o.MaxRate, MaxSteps: o.MaxSteps, StepDuration: o.StepDuration, Slice: o.Slice, P99Bound: o.P99Bound}
		res.Settings.P99Bound, res.Settings.MaxSteps, res.Settings.MaxRate, res.Settings.StepLength = o.P99Bound.String(), o.MaxSteps, o.MaxRate, o.StepDuration.String()
		fmt.Fprintf(o.Progress, "bench: find-max from %g req/s, steps of %s, p99 bound %s, at most %d steps (at most %s of sending)\n",
			o.Rate, o.StepDuration, o.P99Bound, o.MaxSteps, fm.Bound(len(targets)))
		out, err := d.FindMax(ctx, targets, fm)
		if out == nil {
			return nil, summaries, err
		}
		res.FindMax = out.Results
		for _, m := range out.Results {
			if s, ok := bestStep(m); ok {
				summaries[m.Deployment] = s
			}
		}
		return out.Records, summaries, err
	}
	loads := make([]bench.Load, len(targets))
	for i, t := range targets {
		loads[i] = bench.Load{Target: t, Rate: o.Rate, Duration: o.Duration}
	}
	fmt.Fprintf(o.Progress, "bench: %g req/s for %s per deployment, open loop, %d requests each, interleaved in %s slices (about %s)\n",
		o.Rate, o.Duration, bench.CountFor(o.Rate, o.Duration), o.Slice, time.Duration(len(targets))*o.Duration)
	ph, err := d.Run(ctx, bench.Phase{Name: "run", Loads: loads, Slice: o.Slice})
	if ph == nil {
		return nil, summaries, err
	}
	for _, s := range ph.Summaries {
		summaries[s.Deployment] = s
	}
	return ph.Records, summaries, err
}

// deployment is one deployment's part of the report: what was measured,
// what it ran (state), its deployment timings and its cost.
func deployment(o Options, t *bench.Target, st *state.State, s bench.Summary, last state.Timings) report.Deployment {
	dep := report.Deployment{Name: t.Name, Target: report.Target{Kind: string(t.Kind), URL: t.URL}, Summary: s}
	var sd *state.Deployment
	if st != nil {
		sd = st.Deployments[t.Name]
	}
	if sd != nil {
		dep.Bucket, dep.Table = sd.Bucket, sd.ImagesTable
	}
	dep.Toolchain = toolchainOf(sd, last)
	prof, err := CostProfile(o.Via, o.Stack, st, sd)
	if err == nil {
		dep.Cost, err = cost.Compute(o.Prices, prof, cost.Usage{
			RatePerSecond: s.Throughput, LambdaBilledMs: lambdaBilled(s), LambdaDurationFrom: lambdaFrom(s),
			ImageBytes: s.MeanImageBytes, RequestBytes: s.MeanBytesOut, ResponseBytes: s.MeanBytesIn,
			WriteUnits: s.MeanWriteUnits, IndexWriteUnits: s.MeanIndexWriteUnits,
		}, cost.Assumptions{})
	}
	if err != nil {
		dep.Cost, dep.CostError = nil, err.Error()
	}
	return dep
}

func label(o Options, local, fromState bool, targets []*bench.Target) string {
	switch {
	case o.Label != "":
		return o.Label
	case local:
		return "local cloud (moto and local processes on this machine), not AWS"
	case fromState:
		return "deployments named by " + o.StatePath
	}
	for _, t := range targets {
		if t.Kind == bench.KindFunctionURL {
			return "AWS: Lambda function URLs given by --target-url"
		}
	}
	return "targets given by --target-url"
}

// bestStep is the summary a find-max report shows for a deployment: its
// highest sustained step, else its first.
func bestStep(m bench.MaxResult) (bench.Summary, bool) {
	if len(m.Steps) == 0 {
		return bench.Summary{}, false
	}
	best := m.Steps[0]
	for _, s := range m.Steps {
		if s.Sustained && (!best.Sustained || s.Rate > best.Rate) {
			best = s
		}
	}
	return best.Summary, true
}

func lambdaBilled(s bench.Summary) float64 {
	if s.LambdaBilledMs > 0 {
		return s.LambdaBilledMs
	}
	return s.OKLatency.Mean
}

func lambdaFrom(s bench.Summary) string {
	if s.LambdaBilledMs > 0 {
		return "the Lambda's total_ms"
	}
	return "client latency (no total_ms in the answers: an upper bound)"
}

// CostProfile is what one deployment runs, for the cost model: the model
// (constructs.New) of the stack configuration with the figures the state
// file recorded for the deployment (region, instance type and count, Lambda
// memory) in place of the configured ones.
func CostProfile(via string, c constructs.Config, st *state.State, d *state.Deployment) (cost.Profile, error) {
	if st != nil && st.Region != "" {
		c.Region = st.Region
	}
	if d != nil {
		c.InstanceType = cmp.Or(d.InstanceType, c.InstanceType)
		c.InstanceCount = cmp.Or(d.InstanceCount, c.InstanceCount)
		c.LambdaMemoryMB = cmp.Or(d.LambdaMemoryMB, c.LambdaMemoryMB)
	}
	sys, err := constructs.New(c)
	if err != nil {
		return cost.Profile{}, apperr.E(apperr.InvalidConfig, "bench cost profile", err)
	}
	p := cost.Profile{
		Via: via, Region: sys.Region, InstanceCount: sys.Servers.Desired, LoadBalancer: true,
		LambdaMemoryMB: sys.Function.MemoryMB, LambdaArch: sys.Function.Architecture,
		PITR: sys.ImagesTable.PointInTimeRecovery,
	}
	public := map[constructs.ID]bool{}
	for _, s := range sys.Network.Subnets {
		public[s.ID] = s.Public
	}
	// The group's desired capacity, spread over its subnets in turn (a
	// public subnet gives each instance a public IPv4 address).
	lt := sys.Servers.Template
	p.InstanceType, p.RootVolumeGiB = lt.Type, lt.RootVolume.SizeGiB
	for i := 0; i < sys.Servers.Desired; i++ {
		if public[sys.Servers.Subnets[i%len(sys.Servers.Subnets)]] {
			p.PublicIPv4++
		}
	}
	if d != nil {
		p.Deployment = d.Name
		p.LambdaArch = cmp.Or(d.LambdaArch, p.LambdaArch)
	}
	return p, nil
}

// toolchainOf gathers the deployment-process figures of one deployment.
func toolchainOf(d *state.Deployment, last state.Timings) *report.Toolchain {
	if d == nil && last == (state.Timings{}) {
		return nil
	}
	t := &report.Toolchain{}
	var tm state.Timings
	if d != nil {
		tm = d.Timings
		t.ResourceCount, t.TemplateBytes = d.ResourceCount, d.TemplateBytes
		t.StateStore = d.StateStore
		for _, g := range d.Gaps {
			t.EmulatorGaps++
			s := strings.TrimSpace(g.Resource + " " + g.Property)
			if g.Detail != "" {
				s += ": " + g.Detail
			}
			if g.Patched {
				t.GapsPatched++
				s += " (patched)"
			}
			t.Gaps = append(t.Gaps, s)
		}
	}
	if tm.DestroySeconds != 0 {
		t.DestroyFrom = "state"
	} else if last.DestroySeconds != 0 {
		t.DestroyFrom = "last local down"
	}
	tm = tm.Merge(last)
	t.SynthSeconds, t.DeploySeconds, t.DestroySeconds = tm.SynthSeconds, tm.DeploySeconds, tm.DestroySeconds
	return t
}
