package localcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/emugaps"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	Root       string
	Deployment string // state.Terraform or state.CloudFormation
	// Args and Getenv resolve the stack configuration (config.Load) as the
	// deploy did; with a local record, its TWINSTACK_* values come first.
	Args   []string
	Getenv func(string) string
	// Endpoint overrides the configuration's endpoint for the API clients
	// (AWS_ENDPOINT_URL). Empty and no configured endpoint: real AWS.
	Endpoint string
	// GapsFile is the emulator gap list (default emulator-gaps.json).
	GapsFile string
	// EmulatorVersion overrides the detected moto version.
	EmulatorVersion string
	Patch           bool
	Progress        io.Writer
}

// Verify checks one deployment against the model built from its
// configuration and returns the report.
func Verify(ctx context.Context, o VerifyOptions) (*verify.Report, error) {
	const op = "verify"
	if o.Deployment != state.Terraform && o.Deployment != state.CloudFormation {
		return nil, apperr.Errorf(apperr.Invalid, op, "--deployment must be %s or %s, not %q", state.Terraform, state.CloudFormation, o.Deployment)
	}
	l := Layout{Root: o.Root}
	getenv := o.Getenv
	var patched map[string]string
	var workarounds []verify.Workaround
	if rec, err := LoadRecord(l.RecordFile()); err == nil && rec != nil {
		if d := rec.Deployments[o.Deployment]; d != nil {
			getenv = Overlay(d.Env, o.Getenv)
			patched = d.Patched
			for _, w := range d.Workarounds {
				workarounds = append(workarounds, w.Workaround)
			}
		}
		if o.EmulatorVersion == "" {
			o.EmulatorVersion = rec.MotoVersion
		}
	}
	cfg, err := config.Load(o.Args, getenv)
	if err != nil {
		return nil, err
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		return nil, apperr.E(apperr.InvalidConfig, op, err)
	}
	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = cfg.Endpoint
	}
	haveCreds := o.Getenv("AWS_ACCESS_KEY_ID") != "" || o.Getenv("AWS_PROFILE") != ""
	awsCfg, err := verify.AWSConfig(ctx, cfg.System.Region, endpoint, haveCreds)
	if err != nil {
		return nil, apperr.E(apperr.InvalidConfig, op, err)
	}
	clients := verify.NewClients(awsCfg, endpoint != "")
	vo := verify.Options{Deployment: o.Deployment, Patch: o.Patch, Progress: o.Progress,
		FunctionZip: filepath.Join(o.Root, constructs.LambdaZipPath)}
	// Only against the emulator: the gap list, what local up patched and
	// its recorded workarounds. Against AWS no gap file is loaded.
	if endpoint != "" && IsMoto(ctx, endpoint) {
		vo.PatchedBefore, vo.Workarounds = patched, workarounds
		gf := o.GapsFile
		if gf == "" {
			gf = filepath.Join(o.Root, emugaps.DefaultFile)
		}
		gaps, err := emugaps.Load(gf)
		if err != nil {
			return nil, apperr.E(apperr.InvalidConfig, op, err)
		}
		vo.Gaps = gaps
		if o.EmulatorVersion == "" {
			o.EmulatorVersion = MotoVersion(ctx)
		}
		vo.EmulatorVersion = o.EmulatorVersion
		vo.Emulator = "moto " + orUnknown(o.EmulatorVersion)
	}
	var tf *tfStateRead
	if o.Deployment == state.Terraform {
		if tf, err = readTerraformState(ctx, awsCfg, endpoint != "", cfg.TFState, l, o.Root, cfg.StackName); err != nil {
			return nil, err
		}
	}
	if vo.Inventory, err = inventory(ctx, clients, sys, tf, o.Deployment, cfg.StackName); err != nil {
		return nil, err
	}
	if vo.Declared, err = declared(ctx, clients, sys, tf, o.Deployment, cfg.StackName); err != nil {
		return nil, err
	}
	rep, err := verify.Run(ctx, clients, sys, vo)
	if err != nil {
		return nil, apperr.E(apperr.StorageUnavailable, op, err)
	}
	return rep, nil
}

// tfStateRead is a Terraform state as read back, with where it came from.
type tfStateRead struct {
	body   []byte
	source string
}

// readTerraformState reads the Terraform deployment's state where the
// configuration keeps it: the S3 object of tf_state=s3 (through the S3 API,
// as a team's deployment on AWS has it), else the local file (local up's,
// then the project root's). nil when there is none.
func readTerraformState(ctx context.Context, awsCfg aws.Config, emulator bool, ts constructs.TerraformState, l Layout, root, stack string) (*tfStateRead, error) {
	const op = "verify"
	if ts.Remote() {
		c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.UsePathStyle = emulator
			if ts.Region != "" {
				o.Region = ts.Region
			}
		})
		o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ts.Bucket), Key: aws.String(ts.Key)})
		if err != nil {
			return nil, apperr.E(apperr.NotFound, op, fmt.Errorf("terraform state s3://%s/%s: %w", ts.Bucket, ts.Key, err))
		}
		defer o.Body.Close()
		b, err := io.ReadAll(o.Body)
		if err != nil {
			return nil, apperr.E(apperr.StorageUnavailable, op, fmt.Errorf("terraform state s3://%s/%s: %w", ts.Bucket, ts.Key, err))
		}
		return &tfStateRead{body: b, source: "s3://" + ts.Bucket + "/" + ts.Key}, nil
	}
	for _, p := range []string{l.TFState(stack), filepath.Join(root, "terraform."+stack+".tfstate")} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, apperr.E(apperr.Internal, op, err)
		}
		return &tfStateRead{body: b, source: filepath.Base(p)}, nil
	}
	return nil, nil
}

// declared reads the deployment tool's own record, for what only it keeps
// (the group's rolling update): the template CloudFormation stored for the
// stack, or the Terraform state; nil when there is no state.
func declared(ctx context.Context, clients *verify.Clients, sys *constructs.System, tf *tfStateRead, deployment, stack string) (*verify.Declared, error) {
	const op = "verify"
	switch deployment {
	case state.CloudFormation:
		body, err := verify.StackTemplate(ctx, clients.CloudFormation, stack)
		if err != nil {
			return nil, apperr.E(apperr.NotFound, op, err)
		}
		d, err := verify.DeclaredFromTemplate(sys, stack, body)
		if err != nil {
			return nil, apperr.E(apperr.Internal, op, err)
		}
		return d, nil
	case state.Terraform:
		if tf == nil {
			return nil, nil
		}
		d, err := verify.DeclaredFromTFState(sys, tf.source, tf.body)
		if err != nil {
			return nil, apperr.E(apperr.InvalidConfig, op, fmt.Errorf("%s: %w", tf.source, err))
		}
		return d, nil
	}
	return nil, nil
}

// inventory maps the model's nodes to the deployed resources: from the
// CloudFormation stack, or from the Terraform state; nil when there is no
// state.
func inventory(ctx context.Context, clients *verify.Clients, sys *constructs.System, tf *tfStateRead, deployment, stack string) (map[constructs.ID]string, error) {
	const op = "verify"
	switch deployment {
	case state.CloudFormation:
		rs, err := verify.StackResources(ctx, clients.CloudFormation, stack)
		if err != nil {
			return nil, apperr.E(apperr.NotFound, op, err)
		}
		return verify.InventoryFromStack(sys, rs), nil
	case state.Terraform:
		if tf == nil {
			return nil, nil
		}
		inv, err := verify.InventoryFromTFState(sys, tf.body)
		if err != nil {
			return nil, apperr.E(apperr.InvalidConfig, op, fmt.Errorf("%s: %w", tf.source, err))
		}
		return inv, nil
	}
	return nil, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(version unknown)"
	}
	return s
}
