package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/statebucket"
	"github.com/twinstack/twinstack/internal/verify"
)

// runState is `twinstack state bootstrap [configuration flags]`: it creates
// the S3 bucket of the Terraform state named by tf_state_bucket (in
// tf_state_region), the way `cdk bootstrap` prepares an account for the
// AWS CDK. The configuration is resolved as for synth (file < TWINSTACK_*
// < flags) and must say tf_state=s3.
func runState(ctx context.Context, e *Env, args []string) error {
	const op = "state"
	if len(args) == 0 || args[0] != "bootstrap" {
		fmt.Fprintln(e.Stderr, "usage: twinstack state bootstrap [-tf-state s3 -tf-state-bucket NAME ...] (any configuration flag; TWINSTACK_* as for synth)")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return apperr.Errorf(apperr.Invalid, op, "want the subcommand bootstrap")
	}
	cfg, err := config.Load(args[1:], e.Getenv)
	if err != nil {
		return err
	}
	st := cfg.TFState
	if !st.Remote() {
		return apperr.Errorf(apperr.InvalidConfig, op+" bootstrap", "tf_state is %s: set tf_state=s3 and tf_state_bucket (TWINSTACK_TF_STATE=s3, TWINSTACK_TF_STATE_BUCKET)", st.Backend)
	}
	b, err := constructs.NewStateBucket(st.Bucket, st.Region)
	if err != nil {
		return apperr.E(apperr.InvalidConfig, op+" bootstrap", err)
	}
	awsCfg, err := verify.AWSConfig(ctx, st.Region, cfg.Endpoint, e.Getenv("AWS_ACCESS_KEY_ID") != "")
	if err != nil {
		return apperr.E(apperr.Unsupported, op+" bootstrap", err)
	}
	c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = cfg.Local() })
	log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := statebucket.Bootstrap(ctx, c, b, log)
	if err != nil {
		return err
	}
	what := "converged (already bootstrapped)"
	if res.Created {
		what = "created"
	}
	fmt.Fprintf(e.Stdout, "state bucket s3://%s (%s) %s: %s\n", res.Bucket, res.Region, what, strings.Join(res.Applied, ", "))
	fmt.Fprintf(e.Stdout, "Terraform state: s3://%s/%s, lock file %s (encrypt, use_lockfile)\n", st.Bucket, st.Key, st.LockKey())
	return nil
}
