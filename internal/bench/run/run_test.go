package run

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/cost"
	"github.com/twinstack/twinstack/internal/state"
)

// TestCostProfile: the profile is what the model of the configuration
// runs, with the state file's recorded figures in place of the configured
// ones. The expectations are the README's design: two t3.micro servers in
// public subnets behind a load balancer, 8 GiB roots, an arm64 Lambda of
// 256 MB, PITR on the images table; one server is still a group behind the
// load balancer.
func TestCostProfile(t *testing.T) {
	cfg := constructs.Defaults()
	tests := []struct {
		name string
		st   *state.State
		d    *state.Deployment
		want cost.Profile
	}{
		{"configuration only", nil, nil, cost.Profile{Via: cost.ViaLambda, Region: "us-east-1", InstanceType: "t3.micro",
			InstanceCount: 2, LoadBalancer: true, RootVolumeGiB: 8, PublicIPv4: 2, LambdaMemoryMB: 256, LambdaArch: "arm64", PITR: true}},
		{"one server recorded", &state.State{Region: "eu-west-1"},
			&state.Deployment{Name: "terraform", InstanceType: "t4g.small", InstanceCount: 1, LambdaMemoryMB: 512, LambdaArch: "x86_64"},
			cost.Profile{Deployment: "terraform", Via: cost.ViaLambda, Region: "eu-west-1", InstanceType: "t4g.small",
				InstanceCount: 1, LoadBalancer: true, RootVolumeGiB: 8, PublicIPv4: 1, LambdaMemoryMB: 512, LambdaArch: "x86_64", PITR: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CostProfile(cost.ViaLambda, cfg, tc.st, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("profile (-want +got):\n%s", d)
			}
		})
	}
	if _, err := CostProfile(cost.ViaLambda, cfg, nil, &state.Deployment{InstanceType: "no-such-type"}); apperr.CodeOf(err) != apperr.InvalidConfig {
		t.Errorf("a recorded instance type the model rejects: err %v, want an invalid_config error", err)
	}
}

func TestDefaultKind(t *testing.T) {
	tests := []struct {
		via, url string
		want     bench.Kind
	}{
		{"lambda", "https://abc.lambda-url.us-east-1.on.aws/", bench.KindFunctionURL},
		{"lambda", "http://127.0.0.1:9000", bench.KindLambdaInvoke},
		{"server", "http://internal-alb:80", bench.KindServer},
	}
	for _, tc := range tests {
		if got := defaultKind(tc.via, tc.url); got != tc.want {
			t.Errorf("defaultKind(%s, %s) = %s, want %s", tc.via, tc.url, got, tc.want)
		}
	}
}

// TestTargetsSigning: a function URL is signed for the region in its host
// name with the credentials the loader gives; no credentials is a
// configuration error.
func TestTargetsSigning(t *testing.T) {
	o := Options{Deployment: state.Terraform, Via: cost.ViaLambda, ImageURL: "https://example.com/a.png",
		TargetURLs: []string{"https://abc.lambda-url.eu-central-1.on.aws/"}}
	var asked string
	o.Credentials = func(_ context.Context, region string) (aws.CredentialsProvider, string, error) {
		asked = region
		return credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), "us-east-1", nil
	}
	ts, fromState, err := Targets(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fromState || len(ts) != 1 || ts[0].Kind != bench.KindFunctionURL || ts[0].Region != "eu-central-1" || asked != "eu-central-1" || ts[0].Credentials == nil {
		t.Errorf("fromState %v, targets %+v, region asked %q", fromState, ts, asked)
	}
	o.Credentials = func(context.Context, string) (aws.CredentialsProvider, string, error) { return nil, "", nil }
	if _, _, err := Targets(context.Background(), o, nil); apperr.CodeOf(err) != apperr.InvalidConfig {
		t.Errorf("no credentials: err %v, want invalid_config", err)
	}
}
