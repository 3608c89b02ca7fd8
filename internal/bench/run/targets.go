package run

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/cost"
	"github.com/twinstack/twinstack/internal/state"
)

// CredentialsFunc loads the AWS credentials and region to sign requests to
// a function URL in region (empty: the SDK's default region).
type CredentialsFunc func(ctx context.Context, region string) (aws.CredentialsProvider, string, error)

// DefaultCredentials is the SDK's default chain (environment, shared files,
// instance role).
func DefaultCredentials(ctx context.Context, region string) (aws.CredentialsProvider, string, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", err
	}
	return cfg.Credentials, cfg.Region, nil
}

// Targets resolves the targets of the run from o.TargetURLs or, without
// them, from the state file st. fromState reports which.
func Targets(ctx context.Context, o Options, st *state.State) (targets []*bench.Target, fromState bool, err error) {
	const op = "bench"
	imageURL := o.ImageURL
	if imageURL == "" && st != nil && st.Origin != nil && len(st.Origin.Images) > 0 {
		imageURL = st.Origin.Images[0]
	}
	if imageURL == "" {
		return nil, false, apperr.Errorf(apperr.Invalid, op, "no --image-url given and the state file names no local origin image")
	}
	fromState = len(o.TargetURLs) == 0
	if fromState {
		targets, err = stateTargets(o, st, imageURL)
	} else {
		targets, err = urlTargets(o, imageURL)
	}
	if err != nil {
		return nil, false, err
	}
	for _, t := range targets {
		if _, err := t.Endpoint(); err != nil {
			return nil, false, apperr.E(apperr.Invalid, op, err)
		}
		if t.Kind != bench.KindFunctionURL {
			continue
		}
		region := cmp.Or(o.Region, bench.RegionFromFunctionURL(t.URL))
		creds, cfgRegion, err := o.Credentials(ctx, region)
		if err != nil {
			return nil, false, apperr.E(apperr.InvalidConfig, op, fmt.Errorf("aws configuration for signing %s: %w", t.Name, err))
		}
		if creds == nil {
			return nil, false, apperr.Errorf(apperr.InvalidConfig, op, "no AWS credentials to sign requests to %s's function URL", t.Name)
		}
		t.Region = cmp.Or(region, cfgRegion)
		t.Credentials = aws.NewCredentialsCache(creds)
	}
	return targets, fromState, nil
}

// stateTargets are the deployments the state file names, reached via the
// server (its load balancer) or via the Lambda.
func stateTargets(o Options, st *state.State, imageURL string) ([]*bench.Target, error) {
	const op = "bench"
	var out []*bench.Target
	for _, n := range o.Names() {
		d := st.Deployments[n]
		if d == nil {
			return nil, apperr.Errorf(apperr.NotFound, op, "the state file %s has no %s deployment (deployed: %s)", o.StatePath, n, strings.Join(st.Names(), ", "))
		}
		t := &bench.Target{Name: n, ImageURL: imageURL}
		switch {
		case o.Via == cost.ViaServer:
			t.Kind, t.URL = bench.KindServer, cmp.Or(d.ServerURL, d.LoadBalancerURL)
		case d.LambdaInvokeURL != "":
			t.Kind, t.URL = bench.KindLambdaInvoke, d.LambdaInvokeURL
		default:
			t.Kind, t.URL = bench.KindFunctionURL, d.FunctionURL
		}
		if t.URL == "" {
			return nil, apperr.Errorf(apperr.NotFound, op, "the state file %s gives no %s URL for %s", o.StatePath, o.Via, n)
		}
		out = append(out, t)
	}
	return out, nil
}

// urlTargets pairs the --target-url values with the selected deployments.
func urlTargets(o Options, imageURL string) ([]*bench.Target, error) {
	const op = "bench"
	names := o.Names()
	byName := map[string]string{}
	var plain []string
	for _, v := range o.TargetURLs {
		if n, u, ok := strings.Cut(v, "="); ok && !strings.Contains(n, "/") && !strings.Contains(n, ":") {
			byName[n] = u
		} else {
			plain = append(plain, v)
		}
	}
	for n := range byName {
		if !slices.Contains(names, n) {
			return nil, apperr.Errorf(apperr.Invalid, op, "--target-url %s=… names a deployment not selected by --deployment %s", n, o.Deployment)
		}
	}
	switch {
	case len(plain) > 1 || (len(plain) == 1 && len(names) > 1):
		return nil, apperr.Errorf(apperr.Invalid, op, "with --deployment %s, give one --target-url deployment=URL per deployment", o.Deployment)
	case len(plain) == 1:
		byName[names[0]] = plain[0]
	}
	var out []*bench.Target
	for _, n := range names {
		u, ok := byName[n]
		if !ok {
			return nil, apperr.Errorf(apperr.Invalid, op, "no --target-url for %s (give --target-url %s=URL)", n, n)
		}
		kind := bench.Kind(o.TargetKind)
		if kind == "" {
			kind = defaultKind(o.Via, u)
		}
		out = append(out, &bench.Target{Name: n, Kind: kind, URL: u, ImageURL: imageURL})
	}
	return out, nil
}

// defaultKind guesses how to call a --target-url: a Lambda function URL
// (…lambda-url.<region>.on.aws) is signed; any other Lambda target is the
// invoke API.
func defaultKind(via, raw string) bench.Kind {
	if via == cost.ViaServer {
		return bench.KindServer
	}
	if u, err := url.Parse(raw); err == nil && strings.HasSuffix(u.Hostname(), ".on.aws") {
		return bench.KindFunctionURL
	}
	return bench.KindLambdaInvoke
}
