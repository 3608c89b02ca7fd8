// Command cdktf is the CDK for Terraform app of twinstack (cdktf.json runs
// it): it loads the configuration, builds the model and synthesizes the
// Terraform stack to cdktf.out/stacks/<stack>/cdk.tf.json (or
// $CDKTF_OUTDIR, which `cdktf synth --output` sets). Artifacts are read
// from build/ under the current directory, the project root.
//
// Usage: go run ./app/cdktf [-prefix p] [-instance-count n] ... (every
// setting of internal/config, also as TWINSTACK_* variables or a JSON file).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	stack "github.com/twinstack/twinstack/stacks/cdktf"
)

func main() {
	root, err := os.Getwd()
	if err == nil {
		err = run(os.Args[1:], os.Getenv, root)
	}
	if err != nil {
		// One line: validation errors are joined with newlines.
		fmt.Fprintln(os.Stderr, "twinstack cdktf:", strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(1)
	}
}

// run synthesizes the stack described by args and the environment, reading
// artifacts under root.
func run(args []string, getenv func(string) string, root string) error {
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return err
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		return err
	}
	app := stack.NewApp("")
	if _, err := stack.New(app, cfg, sys, stack.Options{Root: root}); err != nil {
		return err
	}
	app.Synth()
	return nil
}
