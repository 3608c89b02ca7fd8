package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/verify"
)

// TestStateBootstrap runs `twinstack state bootstrap` in-process against a
// real moto_server: create, run again, refuse a foreign bucket, and stop
// with exit 2 on configuration errors.
func TestStateBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ep := moto.StartT(t).Endpoint()
	env := map[string]string{"TWINSTACK_ENDPOINT": ep, "TWINSTACK_TF_STATE": "s3", "TWINSTACK_TF_STATE_BUCKET": "team-tfstate"}
	getenv := func(k string) string { return env[k] }
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := Main(context.Background(), append([]string{"state"}, args...), getenv, &out, &out)
		t.Logf("$ twinstack state %s -> %d\n%s", strings.Join(args, " "), code, out.String())
		return code, out.String()
	}

	code, out := run("bootstrap")
	if code != 0 || !strings.Contains(out, "state bucket s3://team-tfstate (us-east-1) created: ") ||
		!strings.Contains(out, "s3://team-tfstate/twinstack/terraform.tfstate, lock file twinstack/terraform.tfstate.tflock") {
		t.Fatalf("first bootstrap: exit %d\n%s", code, out)
	}
	if code, out := run("bootstrap"); code != 0 || !strings.Contains(out, "converged (already bootstrapped)") {
		t.Fatalf("second bootstrap: exit %d\n%s", code, out)
	}

	ctx := context.Background()
	cfg, err := verify.AWSConfig(ctx, "us-east-1", ep, false)
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("team-tfstate")})
	if err != nil || v.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("versioning = %v, %v", v, err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("someone-elses")}); err != nil {
		t.Fatal(err)
	}
	if code, out := run("bootstrap", "-tf-state-bucket", "someone-elses"); code != 1 || !strings.Contains(out, "conflict") || !strings.Contains(out, "not created by `twinstack state bootstrap`") {
		t.Errorf("foreign bucket: exit %d, want 1 with a conflict\n%s", code, out)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"local state", []string{"bootstrap", "-tf-state", "local", "-tf-state-bucket", ""}, "tf_state is local"},
		{"bad bucket", []string{"bootstrap", "-tf-state-bucket", "Team_State"}, "tf_state_bucket: Team_State"},
		{"no subcommand", nil, "want the subcommand bootstrap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := run(tc.args...)
			if code != 2 || !strings.Contains(out, tc.mention) {
				t.Errorf("exit %d, want 2 mentioning %q\n%s", code, tc.mention, out)
			}
		})
	}
}
