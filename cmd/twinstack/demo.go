package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/demo"
)

// runDemo is `twinstack demo`: the main job on the local cloud, end to end
// (internal/demo). Each step runs this binary (or --twinstack) as a child
// process; the exit status is 1 when a required step failed.
func runDemo(ctx context.Context, e *Env, args []string) error {
	const op = "demo"
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	root := fs.String("dir", ".", "project root")
	bin := fs.String("twinstack", "", "twinstack binary that runs the steps and the local servers (default: this one)")
	n := fs.Int("instances", 2, "servers per deployment")
	dur := fs.Duration("bench-duration", 0, "sending time of the short benchmark per deployment (default 5s)")
	rate := fs.Float64("bench-rate", 0, "requests per second of the short benchmark (default 2)")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: twinstack demo [--instances 2] [--bench-duration 5s] [--bench-rate 2] [--dir .] [--twinstack PATH]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *n < 1 || *dur < 0 || *rate < 0 {
		return apperr.Errorf(apperr.Invalid, op, "--instances must be at least 1, --bench-duration and --bench-rate not negative")
	}
	path := *bin
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return apperr.E(apperr.Internal, op, err)
		}
		path = exe
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return apperr.E(apperr.Invalid, op, err)
	}
	rootAbs, err := filepath.Abs(*root)
	if err != nil {
		return apperr.E(apperr.Invalid, op, err)
	}
	sum, err := demo.Run(ctx, demo.Command{Path: abs, Dir: rootAbs}, demo.Options{
		Root: rootAbs, Twinstack: abs, Instances: *n, BenchDuration: *dur, BenchRate: *rate, Out: e.Stdout,
	})
	if err != nil {
		return err
	}
	if !sum.OK {
		return errExit(exitFail)
	}
	return nil
}
