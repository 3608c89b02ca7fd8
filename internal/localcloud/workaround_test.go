package localcloud

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/emugaps"
	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/verify"
)

// The bucket-policy workaround removes exactly the policies of the
// prefix's buckets that have one (moto answers NoSuchBucketPolicy for the
// others) and names them, so that local up can record them.
func TestRemoveBucketPolicies(t *testing.T) {
	srv := moto.StartT(t)
	ctx := context.Background()
	c := srv.S3()
	for _, b := range []string{"ts-x-a", "ts-x-b", "other-c"} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	policy := func(b string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + b + `/*"}]}`)
	}
	for _, b := range []string{"ts-x-b", "other-c"} {
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: policy(b)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := removeBucketPolicies(ctx, c, "ts-x-")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"ts-x-b"}, got); d != "" {
		t.Errorf("removed (-want +got):\n%s", d)
	}
	if _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("other-c")}); err != nil {
		t.Errorf("the policy of another prefix's bucket is gone: %v", err)
	}
}

// `local down` reports the workarounds local up recorded.
func TestDownReportsWorkarounds(t *testing.T) {
	root := t.TempDir()
	l := Layout{Root: root}
	rec := &Record{Deployments: map[string]*DeploymentRecord{"terraform": {Deployed: true, Workarounds: []Workaround{{
		Workaround: verify.Workaround{Step: wRemoveBucketPolicies.tag() + ": remove bucket policies moto over-enforces", Check: "bucket.policy.*", Observed: emugaps.NotFound},
		Detail:     []string{"removed the policy of bucket ts-tf-images"}}}}}}
	if err := SaveRecord(l.RecordFile(), rec); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Down(context.Background(), Options{Root: root, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if want := "terraform: emulator workaround of local up (remove-bucket-policies (gap cfn-bucket-policy): remove bucket policies moto over-enforces): removed the policy of bucket ts-tf-images; not restored"; !strings.Contains(out.String(), want) {
		t.Errorf("local down output lacks %q:\n%s", want, out.String())
	}
}

// Every workaround names an entry of the gap file, and its label carries
// both ids.
func TestWorkaroundsNameTheirGap(t *testing.T) {
	l, err := emugaps.Load(filepath.Join("..", "..", emugaps.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, g := range l.Gaps {
		ids[g.ID] = true
	}
	// Workarounds for what no entry can describe, with the reason.
	noEntry := map[workaroundID]string{
		wDestroyAgain: "a failed stack delete is not a property verify observes",
	}
	for _, w := range workaroundIDs() {
		if _, ok := noEntry[w]; ok {
			if w.gap() != "" || !strings.Contains(w.label("x"), string(w)+" (no gap entry)") {
				t.Errorf("workaround %s: gap %q, label %q", w, w.gap(), w.label("x"))
			}
			continue
		}
		if w.gap() == "" || !ids[w.gap()] {
			t.Errorf("workaround %s: gap %q is not an entry of %s", w, w.gap(), emugaps.DefaultFile)
		}
		if got, want := w.label("x"), "emulator workaround "+string(w)+" (gap "+w.gap()+"): x"; got != want {
			t.Errorf("label %q, want %q", got, want)
		}
	}
}
