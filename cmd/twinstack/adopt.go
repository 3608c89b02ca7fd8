package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
)

// runAdoptMapping is `twinstack adopt-mapping --account ID [-- configuration
// flags]`: it prints the resource mapping `cdk import --resource-mapping`
// reads to adopt the bucket and tables a CloudFormation destroy kept
// (constructs.System.ImportMapping). The configuration is resolved as for
// synth (file < TWINSTACK_* < the flags after --): the prefix and region
// name the resources.
func runAdoptMapping(_ context.Context, e *Env, args []string) error {
	const op = "adopt-mapping"
	fs := flag.NewFlagSet("twinstack adopt-mapping", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	account := fs.String("account", "", "the AWS account id the stack deploys to (aws sts get-caller-identity --query Account --output text)")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: twinstack adopt-mapping --account ID [-- stack configuration flags] > mapping.json")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return apperr.E(apperr.Invalid, op, err)
	}
	cfg, err := config.Load(fs.Args(), e.Getenv)
	if err != nil {
		return err
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		return apperr.E(apperr.InvalidConfig, op, err)
	}
	m, err := sys.ImportMapping(*account)
	switch {
	case errors.Is(err, constructs.ErrNothingRetained):
		return apperr.E(apperr.InvalidConfig, op, err)
	case err != nil:
		return apperr.E(apperr.Invalid, op, err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return apperr.E(apperr.Internal, op, err)
	}
	fmt.Fprintf(e.Stdout, "%s\n", b)
	return nil
}
