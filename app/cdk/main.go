package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/stacks/cdk"
)

func main() {
	os.Exit(runMain(os.Args[1:], os.Getenv, os.Stderr))
}

// runMain synthesizes and returns the exit status: 0, or 1 after one line
// on stderr saying what is wrong.
func runMain(args []string, getenv func(string) string, stderr io.Writer) int {
	if err := run(args, getenv); err != nil {
		// One line: joined validation errors come newline-separated.
		fmt.Fprintln(stderr, "twinstack cdk:", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 1
	}
	return 0
}

// run loads and validates the configuration before the jsii runtime
// starts, so a bad setting fails fast with the config error alone.
func run(args []string, getenv func(string) string) error {
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return err
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		return err
	}
	// The CLI passes the output directory and cdk.json's context through
	// the environment (CDK_OUTDIR, CDK_CONTEXT_JSON); NewApp reads them.
	app := awscdk.NewApp(nil)
	if _, err := cdk.New(app, cfg, sys, cdk.Options{Root: "."}); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}
