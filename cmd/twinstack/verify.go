package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/verify"
)

// runVerify is `twinstack verify --deployment terraform|cloudformation`:
// the post-deploy conformance check. Flags after `--` (or TWINSTACK_*
// variables) are the stack configuration the deployment was made with; on
// the local cloud it is read from .twinstack/local.json.
//
// Exit status: 0 every check ok or patched; 1 drift or missing; 3 nothing
// wrong found but some checks unverified; 2 an error (bad flags, an API
// failure, a failed patch).
func runVerify(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	dep := fs.String("deployment", "", "terraform or cloudformation")
	endpoint := fs.String("endpoint", "", "AWS endpoint (a local emulator); default: AWS_ENDPOINT_URL, then the configuration's endpoint")
	gaps := fs.String("gaps", "", "emulator gap list (default emulator-gaps.json at the project root; never loaded against AWS)")
	patch := fs.Bool("patch-emulator-gaps", false, "where the emulator is observed producing exactly what a listed gap describes, set the model's value through the API, then check again")
	emuVersion := fs.String("emulator-version", "", "emulator version to compare with the gap list (default: detected)")
	root := fs.String("dir", ".", "project root")
	format := fs.String("format", "text", "text (a line per check and a summary) or json (one JSON object)")
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
	if *format != "text" && *format != "json" {
		return apperr.Errorf(apperr.Invalid, "verify", "--format must be text or json, not %q", *format)
	}
	ep := *endpoint
	if ep == "" {
		ep = e.Getenv("AWS_ENDPOINT_URL")
	}
	var progress io.Writer = e.Stdout
	if *format == "json" {
		progress = nil
	}
	rep, err := localcloud.Verify(ctx, localcloud.VerifyOptions{
		Root: *root, Deployment: *dep, Args: fs.Args(), Getenv: e.Getenv, Endpoint: ep,
		GapsFile: *gaps, EmulatorVersion: *emuVersion, Patch: *patch, Progress: progress,
	})
	if err != nil {
		fmt.Fprintf(e.Stderr, "twinstack verify: %s: %v\n", apperr.CodeOf(err), err)
		return errExit(verify.ExitError)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return apperr.E(apperr.Internal, "verify", err)
	}
	if *format == "json" {
		fmt.Fprintf(e.Stdout, "%s\n", b)
	} else {
		fmt.Fprintln(e.Stdout, rep.Verdict())
	}
	if *jsonOut != "" {
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(e.Stderr, "twinstack verify: %v\n", err)
			return errExit(verify.ExitError)
		}
	}
	if c := rep.ExitCode(); c != verify.ExitOK {
		return errExit(c)
	}
	return nil
}
