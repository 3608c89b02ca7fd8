package localcloud

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/state"
)

func motoS3(t *testing.T) (*s3.Client, string) {
	t.Helper()
	ep := moto.StartT(t).Endpoint()
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(ep), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}), ep
}

func remoteState(t *testing.T) constructs.TerraformState {
	t.Helper()
	ts, err := constructs.NewTerraformState(constructs.StateConfig{Backend: constructs.StateS3, Bucket: StateBucket}, "ts-tf", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestBootstrapStateOnMoto: the state bucket is made on moto, the policy gap
// is recorded with its observation (and the policy removed so that the
// backend works), the lock probe passes and leaves nothing behind.
func TestBootstrapStateOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ctx := context.Background()
	c, ep := motoS3(t)
	var out bytes.Buffer
	r := &run{p: newProgress(&out), rec: &Record{Endpoint: ep, MotoVersion: "5.2.1"}}
	dep := &state.Deployment{}
	ts := remoteState(t)
	msg, err := r.bootstrapState(ctx, c, ts, dep)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(msg)
	if len(dep.Gaps) != 1 || dep.Gaps[0].Property != "bucket policy DenyInsecureTransport" || dep.Gaps[0].SeenOn != "5.2.1" ||
		!strings.Contains(dep.Gaps[0].Detail, "answers Forbidden under the TLS-only policy") {
		t.Errorf("gaps = %+v", dep.Gaps)
	}
	if !strings.Contains(out.String(), "emulator gap: bucket policy DenyInsecureTransport") {
		t.Errorf("the gap was not shown:\n%s", out.String())
	}
	if !strings.Contains(dep.StateStore, "s3://ts-tfstate/ts-tf/terraform.tfstate") || !strings.Contains(dep.StateStore, "refused a second writer (412)") {
		t.Errorf("state store = %q", dep.StateStore)
	}
	// The backend can now read and write, and the probe left no object.
	if got := headStatus(ctx, c, ts.Bucket, ts.Key); got != "NotFound" {
		t.Errorf("state key after bootstrap: %s, want NotFound", got)
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(ts.Bucket)})
	if err != nil || len(vs.Versions)+len(vs.DeleteMarkers) != 0 {
		t.Errorf("objects left in the state bucket: %v %v (%v)", vs.Versions, vs.DeleteMarkers, err)
	}
}

// unconditional drops If-None-Match, as an emulator without conditional
// writes would.
type unconditional struct{ *s3.Client }

func (u unconditional) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	cp := *in
	cp.IfNoneMatch = nil
	return u.Client.PutObject(ctx, &cp, opts...)
}

// TestBootstrapStateLockGap: an emulator that ignores conditional writes is
// reported as a gap, and the state comparison says the lock does not hold.
func TestBootstrapStateLockGap(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	c, ep := motoS3(t)
	r := &run{p: newProgress(nil), rec: &Record{Endpoint: ep, MotoVersion: "5.2.1"}}
	dep := &state.Deployment{}
	if _, err := r.bootstrapState(context.Background(), unconditional{c}, remoteState(t), dep); err != nil {
		t.Fatal(err)
	}
	var lock *state.Gap
	for i := range dep.Gaps {
		if dep.Gaps[i].Property == "conditional PutObject (If-None-Match: *)" {
			lock = &dep.Gaps[i]
		}
	}
	if lock == nil || !strings.Contains(lock.Detail, "second write: ok") {
		t.Fatalf("lock gap not reported: %+v", dep.Gaps)
	}
	if !strings.Contains(dep.StateStore, "conditional writes not honoured") {
		t.Errorf("state store = %q", dep.StateStore)
	}
}
