package cdk

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/twinstack/twinstack/constructs"
)

// TestNewErrors: a model the renderer cannot express, or a missing
// artifact, is an error from New, never a panic.
func TestNewErrors(t *testing.T) {
	root := fakeRoot(t)
	tests := []struct {
		name   string
		mutate func(*constructs.System)
		root   string
		nilSys bool
		is     error
		text   string
	}{
		{name: "no system", nilSys: true, root: root, text: "no system"},
		{name: "artifacts not built", root: t.TempDir(), is: ErrMissingArtifact, text: "build/server-linux-amd64"},
		{name: "unsupported encryption", root: root, text: `bucket encryption "aws:kms"`,
			mutate: func(s *constructs.System) { s.Bucket.Encryption = "aws:kms" }},
		{name: "dangling reference", root: root, text: "Nowhere.dns_name",
			mutate: func(s *constructs.System) {
				s.Function.Environment[0].Value = constructs.RefTo("Nowhere", constructs.AttrDNSName)
			}},
		{name: "unknown peer group", root: root, text: "unknown peer group Ghost",
			mutate: func(s *constructs.System) { s.Groups[0].Egress[0].Peer = "Ghost" }},
		{name: "rule with peer and CIDR", root: root, text: "exactly one of peer and CIDR",
			mutate: func(s *constructs.System) { s.Groups[0].Egress[0].CIDR = "10.0.0.0/8" }},
		{name: "duplicate IDs (a jsii panic)", root: root, text: "already a Construct",
			mutate: func(s *constructs.System) { s.AlbumsTable.ID = s.ImagesTable.ID }},
		{name: "unsupported billing", root: root, text: `billing mode "PROVISIONED"`,
			mutate: func(s *constructs.System) { s.AlbumsTable.BillingMode = "PROVISIONED" }},
		{name: "unsupported health check", root: root, text: `health check type "EC2"`,
			mutate: func(s *constructs.System) { s.Servers.HealthCheckType = "EC2" }},
		{name: "unsupported scaling metric", root: root, text: `scaling metric "ASGAverageCPUUtilization"`,
			mutate: func(s *constructs.System) { s.Servers.Scaling.Metric = "ASGAverageCPUUtilization" }},
		{name: "unknown target group", root: root, text: "unknown target group Elsewhere",
			mutate: func(s *constructs.System) { s.Servers.TargetGroup = "Elsewhere" }},
		{name: "unsupported CPU credits", root: root, text: `CPU credits "sometimes"`,
			mutate: func(s *constructs.System) { s.Servers.Template.CPUCredits = "sometimes" }},
		{name: "template role without profile", root: root, text: "role FunctionRole has no instance profile",
			mutate: func(s *constructs.System) { s.Servers.Template.Role = "FunctionRole" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, sys := loadCase(t, "count1")
			if tc.mutate != nil {
				tc.mutate(sys)
			}
			if tc.nilSys {
				sys = nil
			}
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			stack, err := New(app, cfg, sys, Options{Root: tc.root})
			if err == nil {
				t.Fatalf("New succeeded (stack %v), want an error", stack)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not mention %q", err, tc.text)
			}
		})
	}
}
