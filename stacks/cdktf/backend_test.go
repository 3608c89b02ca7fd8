package cdktf_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/moto"
)

// TestS3BackendInit runs the real `terraform init` with the synthesized S3
// backend (endpoint override, path-style, use_lockfile) against moto: the
// backend block is accepted by Terraform itself (validate skips backends)
// and reaches the state bucket.
func TestS3BackendInit(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs terraform and moto_server")
	}
	tf := requireTool(t, "terraform")
	rc := terraformConfig(t)
	ep := moto.StartT(t).Endpoint()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ep), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ts-tfstate")}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load([]string{"-config", filepath.Join("testdata", "s3-endpoint", "twinstack.json"), "-endpoint", ep}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := synth(t, cfg, sys, fakeRoot(t), t.TempDir())
	// No AWS_* of the user's: the backend block carries the emulator's.
	var env []string
	for _, kv := range filteredEnv("TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1") {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	out := run(t, ctx, dir, env, tf, "init", "-input=false", "-no-color")
	if !strings.Contains(string(out), `Successfully configured the backend "s3"`) {
		t.Errorf("terraform init did not configure the s3 backend:\n%s", out)
	}
	// Nothing written by init: the state and its lock appear with the
	// first apply (the local-cloud e2e test covers that).
	o, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("ts-tfstate")})
	if err != nil || len(o.Contents) != 0 {
		t.Errorf("state bucket after init: %v objects, %v", len(o.Contents), err)
	}
}
