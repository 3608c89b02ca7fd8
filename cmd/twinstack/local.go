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

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/lbproxy"
	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/localcloud/servergroup"
	"github.com/twinstack/twinstack/internal/origin"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// runLocal is `twinstack local up|down|status`, plus the servers `local
// up` starts as processes: `local group` (the stand-in for a server
// group's processes, health check and load balancer), `local lb` (the
// Lambda emulators' pool) and `local origin` (the sample-image origin).
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
	case "group":
		return runLocalGroup(ctx, e, args[1:])
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
	n := fs.Int("instances", 2, "the server group's desired capacity per deployment (below max_instances)")
	endpoint := fs.String("endpoint", "", "reuse a running moto_server at this URL instead of starting one")
	motoPort := fs.Int("moto-port", 0, "port for moto_server (default: a free one)")
	patch := fs.Bool("patch-emulator-gaps", true, "apply settings the emulator dropped (listed gaps only) through the API after deploy, then verify again")
	deps := fs.String("deployments", "terraform,cloudformation", "which deployments to bring up")
	root := fs.String("dir", ".", "project root")
	twinstack := fs.String("twinstack", "", "twinstack binary for the local servers, the group stand-ins and the origin (default: build one into .twinstack/bin)")
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
	for _, p := range ps {
		if p.Group != nil {
			printGroup(e, p.Deployment, p.Group)
		}
	}
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

// printGroup prints a server group stand-in's servers and what it
// observed of the emulator.
func printGroup(e *Env, dep string, g *servergroup.Status) {
	fmt.Fprintf(e.Stdout, "\nserver group %s (%s): desired %d, %d in service\n", g.Group, dep, g.Desired, len(g.InService()))
	tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tSTATE\tPID\tURL\tREQUESTS\tIN FLIGHT\tLOST\tREFUSED\tREASON")
	for _, t := range append(append([]servergroup.TargetStatus(nil), g.Targets...), g.Gone...) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\n", t.InstanceID, t.State, t.PID, t.URL, t.Requests, t.InFlight, t.Lost, t.Refused, orDash(t.Reason))
	}
	tw.Flush()
	if g.PollError != "" {
		fmt.Fprintf(e.Stdout, "the group could not be read at the last poll: %s\n", g.PollError)
	}
	for _, o := range g.Observations {
		fmt.Fprintf(e.Stdout, "emulator observation %s (×%d): %s\n", o.ID, o.Count, o.Detail)
	}
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

// runLocalGroup is `twinstack local group`: the stand-in for a server
// group's processes, ELB health check and load balancer (package
// servergroup), serving the balancer and its status on --listen until it
// is stopped or the local cloud that started it is down.
func runLocalGroup(ctx context.Context, e *Env, args []string) error {
	const op = "local group"
	fs := flag.NewFlagSet(op, flag.ContinueOnError)
	d := servergroup.DefaultConfig
	listen := fs.String("listen", "127.0.0.1:0", "address of the load balancer and of "+servergroup.StatusPath)
	group := fs.String("group", "", "the Auto Scaling group's name (required)")
	endpoint := fs.String("endpoint", "", "the AWS endpoint (the local emulator)")
	region := fs.String("region", "us-east-1", "AWS region")
	server := fs.String("server", "", "the twinstack binary the servers run (default: this one)")
	name := fs.String("name", "server", "name prefix of the servers' processes and logs")
	logDir := fs.String("log-dir", "", "directory of the servers' logs (default: discarded)")
	record := fs.String("record", "", "the local cloud's record: stop once it no longer lists this process")
	children := fs.String("children", "", "file that lists the running servers (JSON)")
	poll := fs.Duration("poll", d.Poll, "how often the group is read")
	interval := fs.Duration("health-interval", d.HealthInterval, "health-check interval")
	timeout := fs.Duration("health-timeout", d.HealthTimeout, "health-check timeout")
	unhealthy := fs.Int("unhealthy-threshold", d.UnhealthyThreshold, "failed checks in a row that make a server unhealthy")
	ready := fs.Duration("ready-timeout", d.ReadyTimeout, "how long a new server may take to answer /readyz")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *group == "" {
		return apperr.Errorf(apperr.Invalid, op, "--group is required")
	}
	if *server == "" {
		exe, err := os.Executable()
		if err != nil {
			return apperr.E(apperr.Internal, op, err)
		}
		*server = exe
	}
	log := slog.New(slog.NewJSONHandler(e.Stderr, nil))
	awsCfg, err := verify.AWSConfig(ctx, *region, *endpoint, false)
	if err != nil {
		return apperr.E(apperr.InvalidConfig, op, err)
	}
	parent, onChildren := localcloud.GroupHooks(*record, *children, os.Getpid(), time.Now)
	s, err := servergroup.New(servergroup.Config{
		Group: &servergroup.AWSGroup{Name: *group, AS: autoscaling.NewFromConfig(awsCfg), ELB: elb.NewFromConfig(awsCfg),
			EC2: ec2.NewFromConfig(awsCfg)},
		Launcher: &servergroup.ProcLauncher{Path: *server, Env: os.Environ(), Name: *name, LogDir: *logDir},
		Name:     *group, Poll: *poll, HealthInterval: *interval, HealthTimeout: *timeout, UnhealthyThreshold: *unhealthy,
		ReadyTimeout: *ready, Parent: parent, OnChildren: onChildren, Log: log,
	})
	if err != nil {
		return apperr.E(apperr.Invalid, op, err)
	}
	// Run ends on its own when the local cloud is down; serving ends
	// with it, and Run's servers are stopped before this returns.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		s.Run(runCtx)
		stop()
	}()
	log.Info("server group stand-in listening", "addr", *listen, "group", *group)
	err = serveUntilDone(runCtx, *listen, s.Handler())
	stop()
	<-ran
	return err
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
