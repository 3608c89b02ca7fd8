package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/artifact"
	"github.com/twinstack/twinstack/internal/config"
)

// runBuildLambda builds the Lambda's bootstrap and writes the reproducible
// zip both stacks deploy (-out, default build/lambda.zip), and/or the bare
// binary for the local emulator (-bootstrap). Flags may also be set as
// TWINSTACK_LAMBDA_OUT, TWINSTACK_LAMBDA_GOARCH, TWINSTACK_LAMBDA_BOOTSTRAP.
//
//	twinstack build-lambda                              # build/lambda.zip, linux/arm64
//	twinstack build-lambda -goarch amd64 -out '' -bootstrap build/lambda-local/bootstrap
func runBuildLambda(ctx context.Context, e *Env, args []string) error {
	const op = "build-lambda"
	fs := flag.NewFlagSet("twinstack build-lambda", flag.ContinueOnError)
	out := fs.String("out", constructs.LambdaZipPath, "zip to write (empty: no zip)")
	goarch := fs.String("goarch", constructs.FunctionArch, "target architecture: arm64 (deployed) or amd64 (the local emulator on x86_64)")
	bootstrap := fs.String("bootstrap", "", "also write the bare bootstrap binary to this path (for the local emulator)")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: twinstack build-lambda [-out build/lambda.zip] [-goarch arm64|amd64] [-bootstrap path]")
		fs.SetOutput(e.Stderr)
		fs.PrintDefaults()
	}
	if err := config.Parse(fs, args, "TWINSTACK_LAMBDA", e.Getenv); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return apperr.E(apperr.Invalid, op, err)
	}
	if fs.NArg() > 0 {
		return apperr.Errorf(apperr.Invalid, op, "unexpected arguments %q", fs.Args())
	}
	res, err := artifact.BuildLambda(ctx, artifact.LambdaOptions{GoArch: *goarch, Zip: *out, Bootstrap: *bootstrap})
	if err != nil {
		return err
	}
	if res.Zip != "" {
		fmt.Fprintf(e.Stdout, "%s: linux/%s bootstrap %d bytes, zip %d bytes, sha256 %s\n", res.Zip, res.GoArch, res.BinaryBytes, res.ZipBytes, res.ZipSHA256)
	}
	if res.Bootstrap != "" {
		fmt.Fprintf(e.Stdout, "%s: linux/%s bootstrap %d bytes\n", res.Bootstrap, res.GoArch, res.BinaryBytes)
	}
	return nil
}
