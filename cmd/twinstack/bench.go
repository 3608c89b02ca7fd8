package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/bench/run"
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
	f, err := parseBenchFlags(e, args)
	if err != nil {
		return err
	}
	// The price file and the stack configuration are checked before any
	// load is sent.
	p, err := loadPrices(f.prices)
	if err != nil {
		return err
	}
	stackCfg, err := config.Load(nil, e.Getenv)
	if err != nil {
		return err
	}
	res, err := run.Run(ctx, run.Options{
		Deployment: f.deployment, Via: f.via, Rate: f.rate, Duration: f.duration, Slice: f.slice,
		ImageURL: f.imageURL, Timeout: f.timeout, MaxWorkers: f.maxWorkers,
		FindMax: f.findMax, P99Bound: f.p99Bound, MaxSteps: f.maxSteps, StepDuration: f.stepDur, MaxRate: f.maxRate,
		Prices: p, Out: f.out, StatePath: f.statePath, TargetURLs: f.targets, TargetKind: f.targetKind, Region: f.region,
		Label: f.label, Command: strings.TrimSpace("twinstack bench " + strings.Join(args, " ")), Stack: stackCfg.System,
		Progress: e.Stderr,
		Logger:   slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
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
	fs.StringVar(&f.deployment, "deployment", run.Both, "terraform, cloudformation or both (interleaved)")
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
	case f.deployment != run.Both && f.deployment != state.Terraform && f.deployment != state.CloudFormation:
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
