package localcloud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/emugaps"
	"github.com/twinstack/twinstack/internal/verify"
)

// Every emulator workaround of `local up` and `local down` is in this file.
// Each has an id, names the emulator-gaps.json entry (by its id) that
// describes what moto does, and is labelled with both in the output:
//
//	emulator workaround upload-binary-first (gap cfn-bucket-policy): ...
//
// A test keeps every gap id present in the gap file; destroy-again has no
// entry (the file lists what verify observes, not failed deletes) and says
// so in its label.

// workaroundID names one emulator workaround.
type workaroundID string

const (
	// Terraform creates the artifacts bucket's DenyInsecureTransport
	// policy before it uploads the server binary, and moto then denies the
	// upload: upload the binary first with a targeted apply.
	wUploadBinaryFirst workaroundID = "upload-binary-first"
	// When moto still denied the upload (a 403 in the Terraform log):
	// remove the policies, upload, deploy again.
	wRetryDeniedUpload workaroundID = "retry-denied-upload"
	// After verify, remove the bucket policies moto over-enforces so that
	// the servers can store images; recorded, so that verify reports the
	// policy checks as unverified and `local down` reports it.
	wRemoveBucketPolicies workaroundID = "remove-bucket-policies"
	// Before a destroy, remove the bucket policies again (moto denies the
	// object deletes under them).
	wRemovePoliciesBeforeDestroy workaroundID = "remove-policies-before-destroy"
	// Before destroying the CloudFormation stack, detach the managed
	// policies verify's gap patches attached (the stack does not know
	// them; its delete would fail with "must detach all policies first").
	wDetachPatchedPolicies workaroundID = "detach-patched-policies"
	// moto deletes a CloudFormation stack's resources in an order that can
	// trip on dependencies; a second delete finishes the job.
	wDestroyAgain workaroundID = "destroy-again"
)

// gap is the id of the emulator-gaps.json entry the workaround is for.
func (w workaroundID) gap() string {
	switch w {
	case wUploadBinaryFirst, wRetryDeniedUpload, wRemoveBucketPolicies, wRemovePoliciesBeforeDestroy:
		// moto evaluates a bucket policy's Deny without its Bool
		// condition: DenyInsecureTransport denies every object request.
		return "cfn-bucket-policy"
	case wDetachPatchedPolicies:
		return "cfn-role-managed-policies"
	}
	// wDestroyAgain: the gap file lists what verify observes of a
	// deployment, and a failed delete is no such observation.
	return ""
}

// workaroundIDs lists every workaround (for the test of the gap ids).
func workaroundIDs() []workaroundID {
	return []workaroundID{wUploadBinaryFirst, wRetryDeniedUpload, wRemoveBucketPolicies, wRemovePoliciesBeforeDestroy, wDetachPatchedPolicies, wDestroyAgain}
}

// tag is "<id> (gap <entry id>)", or "<id> (no gap entry)".
func (w workaroundID) tag() string {
	if w.gap() == "" {
		return string(w) + " (no gap entry)"
	}
	return fmt.Sprintf("%s (gap %s)", w, w.gap())
}

// label is the workaround's label in the output: "emulator workaround
// <id> (gap <entry id>): what".
func (w workaroundID) label(what string) string {
	return "emulator workaround " + w.tag() + ": " + what
}

// uploadBinaryFirst uploads the server binary (and what it depends on)
// before the full Terraform deploy creates the artifacts bucket's policy.
func uploadBinaryFirst(ctx context.Context, t *cdktfToolchain, h Hooks) error {
	addr := "aws_s3_object." + string(h.Sys.ServerBinary.ID)
	return h.Step(wUploadBinaryFirst.label("upload the server binary before the artifacts bucket policy exists ("+addr+")"), func() (string, error) {
		return "", t.preupload(ctx, addr)
	})
}

// retryDeniedUpload handles moto refusing the server binary upload under
// the artifacts bucket's DenyInsecureTransport policy: remove the policy,
// upload the object with a targeted apply, deploy again. Any other deploy
// error is returned as it is.
func retryDeniedUpload(ctx context.Context, t *cdktfToolchain, h Hooks, deployErr error) error {
	log, _ := os.ReadFile(t.log)
	if !strings.Contains(string(log), "uploading S3 Object") || !strings.Contains(string(log), "403") {
		return deployErr
	}
	h.Note("%s", wRetryDeniedUpload.label("moto denied the artifact upload under the artifacts bucket's DenyInsecureTransport policy (it ignores the Bool condition); removing the policy, uploading, deploying again"))
	if _, err := removeBucketPolicies(ctx, h.S3, h.Sys.Prefix+"-"); err != nil {
		return errors.Join(deployErr, err)
	}
	// The deploy below puts the policies back; the step after verify
	// removes them again, recorded.
	if err := t.applyTarget(ctx, "aws_s3_object."+string(h.Sys.ServerBinary.ID)); err != nil {
		return errors.Join(deployErr, err)
	}
	return t.Deploy(ctx)
}

// removeVerifiedPolicies is the step after verify that removes the bucket
// policies of a deployment and records what it removed in drec.
func (r *run) removeVerifiedPolicies(ctx context.Context, prefix string, drec *DeploymentRecord) error {
	w := wRemoveBucketPolicies
	return r.p.step(w.label("remove bucket policies moto over-enforces ("+prefix+"*)"), func() (string, error) {
		removed, err := removeBucketPolicies(ctx, r.clients.S3, prefix)
		if len(removed) > 0 {
			var detail []string
			for _, b := range removed {
				detail = append(detail, "removed the policy of bucket "+b)
			}
			drec.Workarounds = append(drec.Workarounds, Workaround{
				Workaround: verify.Workaround{Step: w.tag() + ": remove bucket policies moto over-enforces", Check: "bucket.policy.*", Observed: emugaps.NotFound},
				Detail:     detail})
			if serr := r.saveRecord(); serr != nil {
				return "", serr
			}
		}
		return fmt.Sprintf("%d removed", len(removed)), err
	})
}

// beforeDestroy undoes what the emulator cannot delete around: the bucket
// policies it over-enforces on object deletes, and (CloudFormation) the
// managed policies the gap patches attached. Failures are notes: the
// destroy still runs.
func beforeDestroy(ctx context.Context, p *progress, c *verify.Clients, sys *constructs.System, cloudFormation bool) {
	if _, err := removeBucketPolicies(ctx, c.S3, sys.Prefix+"-"); err != nil {
		p.note("%s", wRemovePoliciesBeforeDestroy.label(fmt.Sprintf("could not remove bucket policies: %v", err)))
	}
	if cloudFormation {
		if err := detachPatchedPolicies(ctx, c, sys); err != nil {
			p.note("%s", wDetachPatchedPolicies.label(fmt.Sprintf("could not detach patched policies: %v", err)))
		}
	}
}

// destroyAgain runs a failed CloudFormation destroy once more.
func destroyAgain(ctx context.Context, p *progress, tc Toolchain, destroyErr error) error {
	p.note("%s", wDestroyAgain.label(fmt.Sprintf("first destroy failed (%v); trying once more", oneLine(destroyErr))))
	return tc.Destroy(ctx)
}

// removeBucketPolicies deletes the policy of every bucket whose name starts
// with prefix and returns the buckets it changed.
func removeBucketPolicies(ctx context.Context, c verify.S3API, prefix string) ([]string, error) {
	l, ok := c.(interface {
		ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
		DeleteBucketPolicy(context.Context, *s3.DeleteBucketPolicyInput, ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
	})
	if !ok {
		return nil, errors.New("s3 client cannot list buckets")
	}
	o, err := l.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	var n []string
	for _, b := range o.Buckets {
		name := aws.ToString(b.Name)
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		if _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b.Name}); err != nil {
			if verify.APIErrorCode(err) == "NoSuchBucketPolicy" {
				continue
			}
			return n, fmt.Errorf("policy of %s: %w", name, err)
		}
		if _, err := l.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b.Name}); err != nil {
			return n, fmt.Errorf("delete policy of %s: %w", name, err)
		}
		n = append(n, name)
	}
	return n, nil
}

// detachPatchedPolicies detaches the AWS managed policies that verify's gap
// patches attached to the CloudFormation deployment's roles: the emulator
// dropped ManagedPolicyArns, so the stack does not know them and its delete
// would fail with "must detach all policies first".
func detachPatchedPolicies(ctx context.Context, c *verify.Clients, sys *constructs.System) error {
	cl, ok := c.IAM.(interface {
		DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	})
	if !ok {
		return nil
	}
	for _, ro := range sys.Roles {
		o, err := c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(ro.Name)})
		if verify.APIErrorCode(err) == "NoSuchEntity" {
			continue // no such role
		}
		if err != nil {
			return err
		}
		for _, p := range o.AttachedPolicies {
			if !strings.HasPrefix(aws.ToString(p.PolicyArn), "arn:aws:iam::aws:policy/") {
				continue
			}
			if _, err := cl.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(ro.Name), PolicyArn: p.PolicyArn}); err != nil {
				return err
			}
		}
	}
	return nil
}
