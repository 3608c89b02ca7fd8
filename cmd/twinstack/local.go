package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/lbproxy"
	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/origin"
	"github.com/twinstack/twinstack/internal/state"
)

// runLocal is `twinstack local up|down|status`, plus the two small servers
// `local up` starts as processes: `local lb` (the load-balancer stand-in)
// and `local origin` (the sample-image origin).
func runLocal(ctx context.Context, e *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.Stderr, "usage: twinstack local up|down|status [flags]")
		return apperr.Errorf(apperr.Invalid, "local", "missing subcommand")
	}
	switch args[0] {
	case "up":
		return runLocalUp(ctx, e, args[1:])
	case "down":
		return runLocalDown(ctx, e, args[1:])
	case "status":
		return runLocalStatus(ctx, e, args[1:])
	case "lb":
		return runLocalLB(ctx, e, args[1:])
	case "origin":
		return runLocalOrigin(ctx, e, args[1:])
	}
	return apperr.Errorf(apperr.Invalid, "local", "unknown subcommand %q (want up, down or status)", args[0])
}

func parseFlags(fs *flag.FlagSet, e *Env, args []string) error {
	fs.SetOutput(e.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return apperr.E(apperr.Invalid, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return apperr.Errorf(apperr.Invalid, fs.Name(), "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

func runLocalUp(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("local up", flag.ContinueOnError)
	n := fs.Int("instances", 2, "servers per deployment (2 or more puts the load-balancer stand-in in front)")
	endpoint := fs.String("endpoint", "", "reuse a running moto_server at this URL instead of starting one")
	motoPort := fs.Int("moto-port", 0, "port for moto_server (default: a free one)")
	patch := fs.Bool("patch-emulator-gaps", true, "apply settings the emulator dropped (listed gaps only) through the API after deploy, then verify again")
	deps := fs.String("deployments", "terraform,cloudformation", "which deployments to bring up")
	root := fs.String("dir", ".", "project root")
	twinstack := fs.String("twinstack", "", "twinstack binary for the local servers, balancer and origin (default: build one into .twinstack/bin)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *n < 1 {
		return apperr.Errorf(apperr.Invalid, "local up", "--instances must be at least 1")
	}
	var names []string
	for _, d := range strings.Split(*deps, ",") {
		d = strings.TrimSpace(d)
		if d != state.Terraform && d != state.CloudFormation {
			return apperr.Errorf(apperr.Invalid, "local up", "--deployments: unknown deployment %q", d)
		}
		names = append(names, d)
	}
	_, err := localcloud.Up(ctx, localcloud.Options{
		Root: *root, Instances: *n, Endpoint: *endpoint, MotoPort: *motoPort, Patch: *patch,
		Deployments: names, Environ: os.Environ(), Getenv: e.Getenv, Out: e.Stdout, Twinstack: *twinstack,
	})
	return err
}

func runLocalDown(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("local down", flag.ContinueOnError)
	root := fs.String("dir", ".", "project root")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	return localcloud.Down(ctx, localcloud.Options{Root: *root, Environ: os.Environ(), Getenv: e.Getenv, Out: e.Stdout})
}

func runLocalStatus(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("local status", flag.ContinueOnError)
	root := fs.String("dir", ".", "project root")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	st, ps, err := localcloud.Status(ctx, *root)
	if err != nil {
		return err
	}
	if st != nil {
		if st.Emulator != nil {
			fmt.Fprintf(e.Stdout, "emulator: %s %s at %s\n", st.Emulator.Name, st.Emulator.Version, st.Emulator.Endpoint)
		}
		if st.Origin != nil {
			fmt.Fprintf(e.Stdout, "image origin: %s (default image %s)\n", st.Origin.URL, st.Origin.Images[0])
		}
		for _, n := range st.Names() {
			d := st.Deployments[n]
			fmt.Fprintf(e.Stdout, "%s (%s): bucket %s, tables %s, %s; server URL %s; Lambda %s; %d emulator gaps\n",
				n, d.StackName, d.Bucket, d.ImagesTable, d.AlbumsTable, d.ServerURL, d.LambdaInvokeURL, len(d.Gaps))
		}
	}
	tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tDEPLOYMENT\tPID\tURL\tRUNNING\tANSWERS")
	bad := 0
	for _, p := range ps {
		ans := "-"
		if p.Alive {
			ans = fmt.Sprintf("%t (%s)", p.Answers, p.Detail)
		}
		if !p.Alive || !p.Answers {
			bad++
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%t\t%s\n", p.Role, orDash(p.Deployment), p.PID, p.URL, p.Alive, ans)
	}
	tw.Flush()
	if st == nil && len(ps) == 0 {
		fmt.Fprintln(e.Stdout, "the local cloud is not up")
		return nil
	}
	if bad > 0 {
		fmt.Fprintf(e.Stdout, "%d of %d processes not answering\n", bad, len(ps))
		return errExit(exitFail)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// serveUntilDone serves h on addr until ctx ends, then shuts down.
func serveUntilDone(ctx context.Context, addr string, h http.Handler) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return apperr.E(apperr.Unsupported, "listen", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runLocalLB(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("local lb", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	var targets multiFlag
	fs.Var(&targets, "target", "target base URL (repeat)")
	interval := fs.Duration("interval", 2*time.Second, "health-check interval")
	noCheck := fs.Bool("no-health-check", false, "treat every target as healthy (targets without /healthz, such as the Lambda emulator)")
	maxInFlight := fs.Int("max-in-flight", 0, "requests one target serves at once; others wait (0: no cap)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	var us []*url.URL
	for _, t := range targets {
		u, err := url.Parse(t)
		if err != nil || u.Host == "" {
			return apperr.Errorf(apperr.Invalid, "local lb", "bad --target %q", t)
		}
		us = append(us, u)
	}
	log := slog.New(slog.NewJSONHandler(e.Stderr, nil))
	p, err := lbproxy.New(us, lbproxy.Config{Interval: *interval, NoHealthCheck: *noCheck, MaxInFlight: *maxInFlight}, log)
	if err != nil {
		return apperr.E(apperr.Invalid, "local lb", err)
	}
	go p.Run(ctx)
	log.Info("load-balancer stand-in listening", "addr", *listen, "targets", targets.String())
	return serveUntilDone(ctx, *listen, p)
}

func runLocalOrigin(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("local origin", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "image origin listening on %s\n", *listen)
	return serveUntilDone(ctx, *listen, origin.NewServer())
}
