package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/stacks/cdk"
)

func main() {
	if err := run(os.Args[1:], os.Getenv); err != nil {
		// One line: joined validation errors come newline-separated.
		fmt.Fprintln(os.Stderr, "twinstack cdk:", strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(1)
	}
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
