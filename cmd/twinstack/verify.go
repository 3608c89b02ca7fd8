package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/localcloud"
)

// runVerify is `twinstack verify --deployment terraform|cloudformation`:
// the post-deploy conformance check. Flags after `--` (or TWINSTACK_*
// variables) are the stack configuration the deployment was made with; on
// the local cloud it is read from .twinstack/local.json.
func runVerify(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	dep := fs.String("deployment", "", "terraform or cloudformation")
	endpoint := fs.String("endpoint", "", "AWS endpoint (a local emulator); default: AWS_ENDPOINT_URL, then the configuration's endpoint")
	gaps := fs.String("gaps", "", "emulator gap list (default emulator-gaps.json at the project root)")
	patch := fs.Bool("patch-emulator-gaps", false, "apply settings the emulator dropped (listed gaps only) through the API, then check again")
	emuVersion := fs.String("emulator-version", "", "emulator version to compare with the gap list (default: detected)")
	root := fs.String("dir", ".", "project root")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: twinstack verify --deployment terraform|cloudformation [flags] [-- stack configuration flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return apperr.E(apperr.Invalid, "verify", err)
	}
	ep := *endpoint
	if ep == "" {
		ep = e.Getenv("AWS_ENDPOINT_URL")
	}
	rep, err := localcloud.Verify(ctx, localcloud.VerifyOptions{
		Root: *root, Deployment: *dep, Args: fs.Args(), Getenv: e.Getenv, Endpoint: ep,
		GapsFile: *gaps, EmulatorVersion: *emuVersion, Patch: *patch, Progress: e.Stdout,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, rep.Summary())
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return apperr.E(apperr.Internal, "verify", err)
		}
	}
	if len(rep.Failed()) > 0 {
		return errExit(exitFail)
	}
	return nil
}
