package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/cost"
	"github.com/twinstack/twinstack/internal/report"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/prices"
)

// benchFlags are the settings of `twinstack bench`; each flag can also be
// set as TWINSTACK_BENCH_<NAME>.
type benchFlags struct {
	deployment string
	via        string
	rate       float64
	duration   time.Duration
	slice      time.Duration
	imageURL   string
	findMax    bool
	p99Bound   time.Duration
	maxSteps   int
	stepDur    time.Duration
	maxRate    float64
	prices     string
	out        string
	statePath  string
	targets    targetURLs
	targetKind string
	region     string
	timeout    time.Duration
	maxWorkers uint64
	label      string
}

// targetURLs collects --target-url values: "URL" or "deployment=URL".
type targetURLs []string

func (t *targetURLs) String() string     { return strings.Join(*t, ",") }
func (t *targetURLs) Set(v string) error { *t = append(*t, v); return nil }

// runBench measures latency, throughput, errors and cost of the deployments
// and writes results.json, requests.csv, report.md and report.html.
//
//	twinstack bench                                    # both deployments via the Lambda, 1 req/s for 30s
//	twinstack bench --via server --rate 5 --duration 10s
//	twinstack bench --find-max --deployment terraform
//	twinstack bench --deployment terraform --target-url https://<id>.lambda-url.us-east-1.on.aws/ --image-url https://…
func runBench(ctx context.Context, e *Env, args []string) error {
	const op = "bench"
	f, err := parseBenchFlags(e, args)
	if err != nil {
		return err
	}
	names := []string{f.deployment}
	if f.deployment == "both" {
		names = []string{state.Terraform, state.CloudFormation}
	}

	// The price file is checked before any load is sent.
	p, err := loadPrices(f.prices)
	if err != nil {
		return err
	}
	st, err := state.Load(f.statePath)
	if err != nil && !(len(f.targets) > 0 && errors.Is(err, fs.ErrNotExist)) {
		if errors.Is(err, fs.ErrNotExist) {
			return apperr.Errorf(apperr.NotFound, op, "no state file %s: run `twinstack local up` first, or name the targets with --target-url", f.statePath)
		}
		return err
	}
	targets, fromState, err := benchTargets(ctx, f, names, st)
	if err != nil {
		return err
	}
	stackCfg, err := config.Load(nil, e.Getenv)
	if err != nil {
		return err
	}

	d := &bench.Driver{
		Timeout:    f.timeout,
		MaxWorkers: f.maxWorkers,
		Progress:   bench.NewProgress(e.Stderr, bench.IsTerminal(e.Stderr), 0),
		Logger:     slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	var desc []string
	for _, t := range targets {
		desc = append(desc, fmt.Sprintf("%s (%s %s)", t.Name, t.Kind, t.URL))
	}
	fmt.Fprintf(e.Stderr, "bench: %s\n", strings.Join(desc, ", "))

	started := time.Now()
	res := &report.Results{
		StartedAt: started.UTC(),
		Local:     fromState && st != nil && st.Local(),
		Settings: report.Settings{
			Command: strings.TrimSpace("twinstack bench " + strings.Join(args, " ")), Via: f.via, Rate: f.rate,
			Duration: f.duration.String(), Slice: f.slice.String(), ImageURL: targets[0].ImageURL, Timeout: f.timeout.String(),
			FindMax: f.findMax, StateFile: f.statePath,
			Host: fmt.Sprintf("%s/%s, %d CPUs, Go %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
		},
		Prices: report.PriceInfo{File: p.File, Region: p.Region, Currency: p.Currency, AsOf: p.AsOf, Source: p.Source, Note: p.Note},
	}
	res.Label = benchLabel(f, res.Local, fromState, targets)

	var recs []bench.Record
	summaries := map[string]bench.Summary{}
	var runErr error
	if f.findMax {
		fm := bench.FindMax{Start: f.rate, MaxRate: f.maxRate, MaxSteps: f.maxSteps, StepDuration: f.stepDur, Slice: f.slice, P99Bound: f.p99Bound}
		res.Settings.P99Bound, res.Settings.MaxSteps, res.Settings.MaxRate, res.Settings.StepLength = f.p99Bound.String(), f.maxSteps, f.maxRate, f.stepDur.String()
		fmt.Fprintf(e.Stderr, "bench: find-max from %g req/s, steps of %s, p99 bound %s, at most %d steps (at most %s of sending)\n",
			f.rate, f.stepDur, f.p99Bound, f.maxSteps, fm.Bound(len(targets)))
		out, err := d.FindMax(ctx, targets, fm)
		runErr = err
		if out != nil {
			recs = out.Records
			res.FindMax = out.Results
			for _, m := range out.Results {
				if s, ok := bestStep(m); ok {
					summaries[m.Deployment] = s
				}
			}
		}
	} else {
		loads := make([]bench.Load, len(targets))
		for i, t := range targets {
			loads[i] = bench.Load{Target: t, Rate: f.rate, Duration: f.duration}
		}
		fmt.Fprintf(e.Stderr, "bench: %g req/s for %s per deployment, open loop, %d requests each, interleaved in %s slices (about %s)\n",
			f.rate, f.duration, bench.CountFor(f.rate, f.duration), f.slice, time.Duration(len(targets))*f.duration)
		ph, err := d.Run(ctx, bench.Phase{Name: "run", Loads: loads, Slice: f.slice})
		runErr = err
		if ph != nil {
			recs = ph.Records
			for _, s := range ph.Summaries {
				summaries[s.Deployment] = s
			}
		}
	}
	if runErr != nil && ctx.Err() == nil {
		return apperr.E(apperr.Internal, op, runErr)
	}
	res.Interrupted = ctx.Err() != nil
	res.FinishedAt = time.Now().UTC()

	timings, err := state.LoadTimings(filepath.Join(filepath.Dir(f.statePath), filepath.Base(state.TimingsPath)))
	if err != nil {
		res.Notes = append(res.Notes, "timings file unreadable: "+err.Error())
	}
	for _, t := range targets {
		dep := report.Deployment{Name: t.Name, Target: report.Target{Kind: string(t.Kind), URL: t.URL}, Summary: summaries[t.Name]}
		var sd *state.Deployment
		if st != nil {
			sd = st.Deployments[t.Name]
		}
		if sd != nil {
			dep.Bucket, dep.Table = sd.Bucket, sd.ImagesTable
		}
		dep.Toolchain = toolchainOf(sd, timings[t.Name])
		s := dep.Summary
		est, err := cost.Compute(p, costProfile(f.via, stackCfg, st, sd), cost.Usage{
			RatePerSecond: s.Throughput, LambdaBilledMs: lambdaBilled(s), LambdaDurationFrom: lambdaFrom(s),
			ImageBytes: s.MeanImageBytes, RequestBytes: s.MeanBytesOut, ResponseBytes: s.MeanBytesIn,
		}, cost.Assumptions{})
		if err != nil {
			dep.CostError = err.Error()
		} else {
			dep.Cost = est
		}
		res.Deployments = append(res.Deployments, dep)
	}
	res.Comparison = report.Compare(res.Deployments, res.FindMax)
	if res.Local {
		res.Notes = append(res.Notes, "Local-cloud figures: the stacks are deployed into moto and the servers, load balancer stand-in, Lambda (under the Runtime Interface Emulator) and image origin run as local processes on this machine, next to the load generator. Latency and throughput say how the two deployments compare here, not what AWS would measure.")
	}
	if f.findMax {
		res.Notes = append(res.Notes, "With --find-max, each deployment's summary, breakdown and cost are those of its highest sustained step (or its first step when none was sustained).")
	}

	if err := report.WriteAll(f.out, res, recs); err != nil {
		return apperr.E(apperr.Internal, op, err)
	}
	printBenchSummary(e.Stdout, res, f.out)

	if res.Interrupted {
		fmt.Fprintln(e.Stderr, "bench: interrupted; the report covers what was measured until then")
		return errExit(exitFail)
	}
	if !f.findMax {
		for _, d := range res.Deployments {
			if d.Summary.Errors > 0 || uint64(d.Summary.Sent) < d.Summary.Planned {
				fmt.Fprintf(e.Stderr, "bench: %s: %d of %d requests failed\n", d.Name, d.Summary.Errors, d.Summary.Planned)
				return errExit(exitFail)
			}
		}
	}
	return nil
}

func parseBenchFlags(e *Env, args []string) (*benchFlags, error) {
	const op = "bench"
	f := &benchFlags{}
	fs := flag.NewFlagSet("twinstack bench", flag.ContinueOnError)
	fs.StringVar(&f.deployment, "deployment", "both", "terraform, cloudformation or both (interleaved)")
	fs.StringVar(&f.via, "via", "lambda", "lambda (through the function) or server (straight to the server / load balancer)")
	fs.Float64Var(&f.rate, "rate", 1, "requests per second per deployment (open loop); with --find-max, the first step's rate")
	fs.DurationVar(&f.duration, "duration", 30*time.Second, "sending time per deployment")
	fs.DurationVar(&f.slice, "slice", time.Second, "length of the alternating slices with --deployment both")
	fs.StringVar(&f.imageURL, "image-url", "", "image to ingest (default: the local origin's first sample image)")
	fs.BoolVar(&f.findMax, "find-max", false, "step the rate up until p99 passes --p99-bound or errors appear")
	fs.DurationVar(&f.p99Bound, "p99-bound", time.Second, "find-max: highest acceptable p99")
	fs.IntVar(&f.maxSteps, "max-steps", 8, "find-max: most steps per deployment")
	fs.DurationVar(&f.stepDur, "step-duration", 5*time.Second, "find-max: sending time of each step")
	fs.Float64Var(&f.maxRate, "max-rate", 256, "find-max: highest rate tried")
	fs.StringVar(&f.prices, "prices", "", "price file (JSON; default: the shipped "+prices.DefaultName+")")
	fs.StringVar(&f.out, "out", "bench-out", "directory for results.json, requests.csv, report.md, report.html")
	fs.StringVar(&f.statePath, "state", state.DefaultPath, "the local cloud's state file")
	fs.Var(&f.targets, "target-url", "target instead of the state file: URL, or deployment=URL (repeatable)")
	fs.StringVar(&f.targetKind, "target-kind", "", "server, lambda-invoke or function-url (default: from --via and the URL)")
	fs.StringVar(&f.region, "region", "", "region for signing function-URL requests (default: from the URL, then AWS_REGION)")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "timeout of each request")
	fs.Uint64Var(&f.maxWorkers, "max-workers", 10000, "most requests in flight per deployment")
	fs.StringVar(&f.label, "label", "", "where the figures come from, printed at the top of the report")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: twinstack bench [--deployment terraform|cloudformation|both] [--via lambda|server] [--rate 1] [--duration 30s] [--image-url URL] [--find-max] [--prices FILE] [--out DIR] [--target-url [name=]URL]")
		fs.SetOutput(e.Stderr)
		fs.PrintDefaults()
	}
	if err := config.Parse(fs, args, "TWINSTACK_BENCH", e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, apperr.E(apperr.Invalid, op, err)
	}
	bad := func(format string, a ...any) (*benchFlags, error) {
		return nil, apperr.Errorf(apperr.Invalid, op, format, a...)
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected arguments %q", fs.Args())
	case f.deployment != "both" && f.deployment != state.Terraform && f.deployment != state.CloudFormation:
		return bad("--deployment must be terraform, cloudformation or both, not %q", f.deployment)
	case f.via != cost.ViaLambda && f.via != cost.ViaServer:
		return bad("--via must be lambda or server, not %q", f.via)
	case !(f.rate > 0) || f.rate > 100000:
		return bad("--rate must be above 0 and at most 100000, not %g", f.rate)
	case f.duration <= 0 || f.slice <= 0 || f.timeout <= 0 || f.stepDur <= 0 || f.p99Bound <= 0:
		return bad("--duration, --slice, --timeout, --step-duration and --p99-bound must be positive")
	case !f.findMax && bench.CountFor(f.rate, f.duration) == 0:
		return bad("--rate %g for --duration %s sends no request", f.rate, f.duration)
	case f.maxSteps < 1 || f.maxSteps > 50:
		return bad("--max-steps must be between 1 and 50, not %d", f.maxSteps)
	case f.findMax && f.maxRate < f.rate:
		return bad("--max-rate %g is below --rate %g", f.maxRate, f.rate)
	case f.maxWorkers == 0:
		return bad("--max-workers must be at least 1")
	}
	if f.targetKind != "" {
		if _, err := bench.ParseKind(f.targetKind); err != nil {
			return nil, apperr.E(apperr.Invalid, op, err)
		}
	}
	if f.imageURL != "" {
		if u, err := url.Parse(f.imageURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("--image-url %q is not an http(s) URL", f.imageURL)
		}
	}
	return f, nil
}

func loadPrices(path string) (*cost.Prices, error) {
	if path == "" {
		return cost.ParsePrices(prices.DefaultName, prices.Default())
	}
	return cost.LoadPrices(path)
}

// benchTargets resolves the targets from --target-url or from the state
// file. fromState reports which.
func benchTargets(ctx context.Context, f *benchFlags, names []string, st *state.State) ([]*bench.Target, bool, error) {
	const op = "bench"
	imageURL := f.imageURL
	if imageURL == "" && st != nil && st.Origin != nil && len(st.Origin.Images) > 0 {
		imageURL = st.Origin.Images[0]
	}
	if imageURL == "" {
		return nil, false, apperr.Errorf(apperr.Invalid, op, "no --image-url given and the state file names no local origin image")
	}
	var out []*bench.Target
	fromState := len(f.targets) == 0
	if fromState {
		for _, n := range names {
			d := st.Deployments[n]
			if d == nil {
				return nil, false, apperr.Errorf(apperr.NotFound, op, "the state file %s has no %s deployment (deployed: %s)", f.statePath, n, strings.Join(st.Names(), ", "))
			}
			t := &bench.Target{Name: n, ImageURL: imageURL}
			switch {
			case f.via == cost.ViaServer:
				t.Kind, t.URL = bench.KindServer, cmp.Or(append([]string{d.ServerURL, d.LoadBalancerURL}, d.InstanceURLs...)...)
			case d.LambdaInvokeURL != "":
				t.Kind, t.URL = bench.KindLambdaInvoke, d.LambdaInvokeURL
			default:
				t.Kind, t.URL = bench.KindFunctionURL, d.FunctionURL
			}
			if t.URL == "" {
				return nil, false, apperr.Errorf(apperr.NotFound, op, "the state file %s gives no %s URL for %s", f.statePath, f.via, n)
			}
			out = append(out, t)
		}
	} else {
		byName := map[string]string{}
		var plain []string
		for _, v := range f.targets {
			if n, u, ok := strings.Cut(v, "="); ok && !strings.Contains(n, "/") && !strings.Contains(n, ":") {
				byName[n] = u
			} else {
				plain = append(plain, v)
			}
		}
		for n := range byName {
			if !slices.Contains(names, n) {
				return nil, false, apperr.Errorf(apperr.Invalid, op, "--target-url %s=… names a deployment not selected by --deployment %s", n, f.deployment)
			}
		}
		switch {
		case len(plain) > 1 || (len(plain) == 1 && len(names) > 1):
			return nil, false, apperr.Errorf(apperr.Invalid, op, "with --deployment %s, give one --target-url deployment=URL per deployment", f.deployment)
		case len(plain) == 1:
			byName[names[0]] = plain[0]
		}
		for _, n := range names {
			u, ok := byName[n]
			if !ok {
				return nil, false, apperr.Errorf(apperr.Invalid, op, "no --target-url for %s (give --target-url %s=URL)", n, n)
			}
			kind := bench.Kind(f.targetKind)
			if kind == "" {
				kind = defaultKind(f.via, u)
			}
			out = append(out, &bench.Target{Name: n, Kind: kind, URL: u, ImageURL: imageURL})
		}
	}
	for _, t := range out {
		if _, err := t.Endpoint(); err != nil {
			return nil, false, apperr.E(apperr.Invalid, op, err)
		}
		if t.Kind != bench.KindFunctionURL {
			continue
		}
		region := cmp.Or(f.region, bench.RegionFromFunctionURL(t.URL))
		opts := []func(*awsconfig.LoadOptions) error{}
		if region != "" {
			opts = append(opts, awsconfig.WithRegion(region))
		}
		cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, false, apperr.E(apperr.InvalidConfig, op, fmt.Errorf("aws configuration for signing %s: %w", t.Name, err))
		}
		if cfg.Credentials == nil {
			return nil, false, apperr.Errorf(apperr.InvalidConfig, op, "no AWS credentials to sign requests to %s's function URL", t.Name)
		}
		t.Region = cmp.Or(region, cfg.Region)
		t.Credentials = aws.NewCredentialsCache(cfg.Credentials)
	}
	return out, fromState, nil
}

// defaultKind guesses how to call a --target-url: a Lambda function URL
// (…lambda-url.<region>.on.aws) is signed; any other Lambda target is the
// invoke API.
func defaultKind(via, raw string) bench.Kind {
	if via == cost.ViaServer {
		return bench.KindServer
	}
	if u, err := url.Parse(raw); err == nil && strings.HasSuffix(u.Hostname(), ".on.aws") {
		return bench.KindFunctionURL
	}
	return bench.KindLambdaInvoke
}

func benchLabel(f *benchFlags, local, fromState bool, targets []*bench.Target) string {
	switch {
	case f.label != "":
		return f.label
	case local:
		return "local cloud (moto and local processes on this machine), not AWS"
	case fromState:
		return "deployments named by " + f.statePath
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

// costProfile is what the deployment runs: the state file's figures where
// recorded, else the stack configuration (defaults < twinstack.json <
// TWINSTACK_* environment).
func costProfile(via string, c config.Config, st *state.State, d *state.Deployment) cost.Profile {
	p := cost.Profile{
		Via: via, Region: c.System.Region, InstanceType: c.System.InstanceType, InstanceCount: c.System.InstanceCount,
		RootVolumeGiB: constructs.RootVolumeGiB, LambdaMemoryMB: c.System.LambdaMemoryMB, LambdaArch: constructs.FunctionArch, PITR: true,
	}
	if st != nil && st.Region != "" {
		p.Region = st.Region
	}
	if d != nil {
		p.Deployment = d.Name
		if d.InstanceType != "" {
			p.InstanceType = d.InstanceType
		}
		if d.InstanceCount > 0 {
			p.InstanceCount = d.InstanceCount
		}
		if d.LambdaMemoryMB > 0 {
			p.LambdaMemoryMB = d.LambdaMemoryMB
		}
		if d.LambdaArch != "" {
			p.LambdaArch = d.LambdaArch
		}
	}
	p.LoadBalancer = p.InstanceCount >= 2
	p.PublicIPv4 = p.InstanceCount
	return p
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

func printBenchSummary(w io.Writer, r *report.Results, dir string) {
	fmt.Fprintf(w, "%s\n", r.Label)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "deployment\tsent\tok\terrors\tp50 ms\tp90 ms\tp99 ms\tmax ms\tok req/s\t$/1k req\t$/month\t")
	for _, d := range r.Deployments {
		s := d.Summary
		per1k, month := "-", "-"
		if d.Cost != nil {
			per1k, month = fmt.Sprintf("%.5f", d.Cost.Per1000), fmt.Sprintf("%.2f", d.Cost.TotalMonthly)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t\n", d.Name, s.Sent, s.OK, s.Errors,
			s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.Max, s.Throughput, per1k, month)
	}
	tw.Flush()
	for _, d := range r.Deployments {
		if d.Summary.Errors > 0 {
			fmt.Fprintf(w, "%s errors: %s\n", d.Name, bench.ErrorList(d.Summary.ErrorsByCode))
		}
		if d.CostError != "" {
			fmt.Fprintf(w, "%s cost: %s\n", d.Name, d.CostError)
		}
	}
	if c := r.Comparison; c != nil {
		var parts []string
		for _, row := range c.Rows {
			if row.Group == "latency" && row.Ratio != nil && (row.Metric == "p50" || row.Metric == "p99" || row.Metric == "mean") {
				parts = append(parts, fmt.Sprintf("%s %.2fx", row.Metric, *row.Ratio))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "%s / %s latency: %s\n", c.B, c.A, strings.Join(parts, ", "))
		}
	}
	for _, m := range r.FindMax {
		line := fmt.Sprintf("find-max %s: highest sustained %g req/s", m.Deployment, m.MaxSustained)
		if m.BrokeAt > 0 {
			line += fmt.Sprintf("; broke at %g req/s: %s", m.BrokeAt, m.Reason)
		}
		fmt.Fprintf(w, "%s (%s)\n", line, m.Stopped)
	}
	fmt.Fprintf(w, "wrote %s\n", strings.Join([]string{
		filepath.Join(dir, report.ResultsFile), filepath.Join(dir, report.RequestsFile),
		filepath.Join(dir, report.MarkdownFile), filepath.Join(dir, report.HTMLFile),
	}, ", "))
}
