package cdk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
)

// ErrMissingArtifact reports that a file the stack ships (the server binary,
// the Lambda zip) has not been built. Synthesis stages both as assets.
var ErrMissingArtifact = errors.New("artifact not built")

// Options are the renderer's settings that are not part of the model.
type Options struct {
	// Root is the project root that the model's artifact paths
	// (build/lambda.zip, build/server-linux-<arch>) are relative to. Empty
	// means the current directory.
	Root string
}

// New adds to scope (an awscdk.App) the CloudFormation stack named
// cfg.StackName that describes sys, in the region of the model. It returns
// an error, never panics, when the model asks for something this renderer
// cannot express or an artifact is missing.
func New(scope cdkconstructs.Construct, cfg config.Config, sys *constructs.System, opts Options) (stack awscdk.Stack, err error) {
	if sys == nil {
		return nil, errors.New("render stack: no system")
	}
	if cfg.StackName == "" {
		return nil, errors.New("render stack: no stack name")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("render stack: project root: %w", err)
	}
	for _, a := range []constructs.Artifact{sys.ServerBinary, sys.FunctionCode} {
		if _, err := os.Stat(filepath.Join(root, a.Path)); err != nil {
			return nil, fmt.Errorf("render stack: %s %s: %w (run make build): %w", a.ID, a.Path, ErrMissingArtifact, err)
		}
	}
	// jsii reports construct errors as panics; a bad model must surface as
	// an error to the caller instead.
	defer func() {
		if p := recover(); p != nil {
			stack, err = nil, fmt.Errorf("render stack %s: %v", cfg.StackName, p)
		}
	}()

	stack = awscdk.NewStack(scope, jsii.String(cfg.StackName), &awscdk.StackProps{
		StackName: jsii.String(cfg.StackName),
		// Region only: the account stays a deploy-time token, so synth
		// needs no credentials and does no lookups.
		Env: &awscdk.Environment{Region: jsii.String(sys.Region)},
	})
	r := &renderer{
		sys:          sys,
		stack:        stack,
		root:         root,
		attrs:        map[constructs.ID]map[constructs.Attr]*string{},
		subnets:      map[constructs.ID]*subnetRefs{},
		cfnGroups:    map[constructs.ID]awsec2.CfnSecurityGroup{},
		groups:       map[constructs.ID]awsec2.ISecurityGroup{},
		groupRules:   map[constructs.ID][]awscdk.CfnResource{},
		targetGroups: map[constructs.ID]elbv2.IApplicationTargetGroup{},
		artifacts:    map[constructs.ID]string{},
		assets:       map[constructs.ID]awss3assets.Asset{},
		roles:        map[constructs.ID]awsiam.IRole{},
		profiles:     map[constructs.ID]awsiam.IInstanceProfile{},
		// Imported views (IVpc, ISubnet, ISecurityGroup) that L2
		// constructs need live under one scope that emits no resources.
		imports: cdkconstructs.NewConstruct(stack, jsii.String("Imported")),
	}
	if err := sys.Walk(r.visit); err != nil {
		return nil, fmt.Errorf("render stack %s: %w", cfg.StackName, err)
	}
	return stack, nil
}
