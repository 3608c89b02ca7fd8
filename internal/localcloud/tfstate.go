package localcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/statebucket"
	"github.com/twinstack/twinstack/internal/verify"
)

// StateBucket is the bucket that holds the local Terraform deployment's
// state on the emulator (tf_state=s3): the remote-state path a team uses,
// exercised by every `local up`.
const StateBucket = "ts-tfstate"

// StateDescriptions say where each toolchain keeps its state, for the
// deployment comparison. Terraform's is completed from the configuration.
const (
	CloudFormationState = "in the CloudFormation service; one operation at a time per stack (UPDATE_IN_PROGRESS refuses a second)"
	LocalFileState      = "local file terraform.<stack>.tfstate, no lock shared between machines"
)

// stateS3 is the part of the S3 client the state steps call.
type stateS3 interface {
	statebucket.API
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	DeleteBucketPolicy(context.Context, *s3.DeleteBucketPolicyInput, ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// stateS3Client is a path-style S3 client for the emulator.
func (r *run) stateS3Client(ctx context.Context, region string) (stateS3, error) {
	cfg, err := verify.AWSConfig(ctx, region, r.rec.Endpoint, false)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), nil
}

// bootstrapState creates the Terraform state bucket on the emulator with
// `twinstack state bootstrap`'s package, then measures what the emulator
// does with it: the TLS-only policy (moto denies every request under it,
// whatever its Bool condition says: the policy is removed and the gap
// recorded) and the conditional write the lock file relies on (a gap when
// a second If-None-Match: * write is not refused).
func (r *run) bootstrapState(ctx context.Context, c stateS3, ts constructs.TerraformState, dep *state.Deployment) (string, error) {
	const op = "local up"
	b, err := constructs.NewStateBucket(ts.Bucket, ts.Region)
	if err != nil {
		return "", apperr.E(apperr.InvalidConfig, op, err)
	}
	res, err := statebucket.Bootstrap(ctx, c, b, nil)
	if err != nil {
		return "", err
	}
	what := "created"
	if !res.Created {
		what = "existed (ours), converged"
	}
	gap := func(property, detail string) {
		dep.Gaps = append(dep.Gaps, state.Gap{Resource: "s3://" + ts.Bucket, Type: "Terraform state bucket (twinstack state bootstrap)",
			Property: property, Detail: detail, SeenOn: r.rec.MotoVersion})
		r.p.note("emulator gap: %s: %s", property, detail)
	}

	// 1. The TLS-only policy. The endpoint is plain HTTP, so AWS would
	// deny too; what moto adds is ignoring the condition, measured by
	// inverting it (Deny only when SecureTransport is true).
	probe := ts.Key + ".twinstack-probe"
	under := headStatus(ctx, c, ts.Bucket, probe)
	if under == "Forbidden" || under == "AccessDenied" {
		inverted := b.Policy[0]
		inverted.Condition = map[string]map[string]string{"Bool": {"aws:SecureTransport": "true"}}
		doc, err := statebucket.PolicyJSON([]constructs.Statement{inverted})
		if err != nil {
			return "", apperr.E(apperr.Internal, op, err)
		}
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(ts.Bucket), Policy: aws.String(doc)}); err != nil {
			return "", apperr.E(apperr.StorageUnavailable, op, fmt.Errorf("state bucket policy probe: %w", err))
		}
		inv := headStatus(ctx, c, ts.Bucket, probe)
		if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(ts.Bucket)}); err != nil {
			return "", apperr.E(apperr.StorageUnavailable, op, fmt.Errorf("remove the state bucket policy: %w", err))
		}
		after := headStatus(ctx, c, ts.Bucket, probe)
		gap("bucket policy DenyInsecureTransport", fmt.Sprintf(
			"HeadObject over the local HTTP endpoint answers %s under the TLS-only policy and %s under the same Deny conditioned on aws:SecureTransport=true (moto ignores the Bool condition); "+
				"the Terraform backend could not read or write state, so local up removed the policy (then %s)", under, inv, after))
	}

	// 2. The lock: Terraform writes <key>.tflock with If-None-Match: *
	// and takes a 412 as "locked".
	lock := "lock probe: conditional write refused a second writer (412)"
	first, second := condPut(ctx, c, ts.Bucket, probe), condPut(ctx, c, ts.Bucket, probe)
	if first != "" || second != "PreconditionFailed" {
		lock = "lock probe: conditional writes not honoured"
		gap("conditional PutObject (If-None-Match: *)", fmt.Sprintf("first write: %s, second write: %s (want ok, PreconditionFailed): the S3 lock file would not refuse a second writer", orOK(first), orOK(second)))
	}
	deleteVersions(ctx, c, ts.Bucket, probe)
	dep.StateStore = describeState(ts, lock)
	return fmt.Sprintf("s3://%s %s (%s); %s", ts.Bucket, what, strings.Join(res.Applied, ", "), lock), nil
}

// describeState is the Terraform side of the state comparison.
func describeState(ts constructs.TerraformState, observed string) string {
	if !ts.Remote() {
		return LocalFileState
	}
	s := fmt.Sprintf("S3 object s3://%s/%s (versioned, encrypted), native lock file %s", ts.Bucket, ts.Key, ts.LockKey())
	if observed != "" {
		s += "; " + observed
	}
	return s
}

// headStatus is the API error code of HeadObject, or "ok".
func headStatus(ctx context.Context, c stateS3, bucket, key string) string {
	_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		return "ok"
	}
	return errCode(err)
}

// condPut writes key only if it does not exist; "" on success, else the
// API error code.
func condPut(ctx context.Context, c stateS3, bucket, key string) string {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfNoneMatch: aws.String("*"),
		Body: strings.NewReader("probe")})
	if err == nil {
		return ""
	}
	return errCode(err)
}

func orOK(code string) string {
	if code == "" {
		return "ok"
	}
	return code
}

// deleteVersions removes every version of one probe key (best effort).
func deleteVersions(ctx context.Context, c stateS3, bucket, key string) {
	o, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		return
	}
	for _, v := range o.Versions {
		if aws.ToString(v.Key) == key {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId})
		}
	}
	for _, m := range o.DeleteMarkers {
		if aws.ToString(m.Key) == key {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: m.Key, VersionId: m.VersionId})
		}
	}
}

// StateObject reads the Terraform state object and counts its versions
// and whether the lock file is present.
type StateObject struct {
	Body     []byte
	Versions int
	Locked   bool
}

// readStateObject reads the state of ts from the emulator.
func readStateObject(ctx context.Context, c stateS3, ts constructs.TerraformState) (StateObject, error) {
	var so StateObject
	o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ts.Bucket), Key: aws.String(ts.Key)})
	if err != nil {
		return so, fmt.Errorf("terraform state s3://%s/%s: %w", ts.Bucket, ts.Key, err)
	}
	defer o.Body.Close()
	if so.Body, err = io.ReadAll(o.Body); err != nil {
		return so, fmt.Errorf("terraform state s3://%s/%s: %w", ts.Bucket, ts.Key, err)
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(ts.Bucket), Prefix: aws.String(ts.Key)})
	if err != nil {
		return so, fmt.Errorf("versions of s3://%s/%s: %w", ts.Bucket, ts.Key, err)
	}
	for _, v := range vs.Versions {
		if aws.ToString(v.Key) == ts.Key {
			so.Versions++
		}
	}
	so.Locked = headStatus(ctx, c, ts.Bucket, ts.LockKey()) == "ok"
	return so, nil
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "error: " + err.Error()
}

// terraformState prepares the state of one deployment before its deploy:
// for Terraform with tf_state=s3 the state bucket is bootstrapped on the
// emulator and the toolchain reads its outputs from the state object. It
// reports whether the toolchain keeps its state there.
func (r *run) terraformState(ctx context.Context, name string, ts constructs.TerraformState, tc Toolchain, dep *state.Deployment) (bool, error) {
	if name != state.Terraform {
		dep.StateStore = CloudFormationState
		return false, nil
	}
	dep.StateStore = describeState(ts, "")
	if !ts.Remote() {
		return false, nil
	}
	if err := r.p.step("bootstrap the Terraform state bucket in the emulator (twinstack state bootstrap)", func() (string, error) {
		c, err := r.stateS3Client(ctx, ts.Region)
		if err != nil {
			return "", apperr.E(apperr.Internal, "local up", err)
		}
		return r.bootstrapState(ctx, c, ts, dep)
	}); err != nil {
		return false, err
	}
	remote, err := tc.UseRemoteState(func(ctx context.Context) ([]byte, error) {
		c, err := r.stateS3Client(ctx, ts.Region)
		if err != nil {
			return nil, err
		}
		so, err := readStateObject(ctx, c, ts)
		return so.Body, err
	})
	if err != nil {
		return false, apperr.E(apperr.Internal, "local up", err)
	}
	return remote, nil
}

// checkRemoteState reads the state object back after a Terraform deploy
// (by the real CLI; test toolchains write no state): it must exist and the
// lock must have been released.
func (r *run) checkRemoteState(ctx context.Context, ts constructs.TerraformState) error {
	return r.p.step(fmt.Sprintf("read the Terraform state back from s3://%s/%s", ts.Bucket, ts.Key), func() (string, error) {
		c, err := r.stateS3Client(ctx, ts.Region)
		if err != nil {
			return "", err
		}
		so, err := readStateObject(ctx, c, ts)
		if err != nil {
			return "", apperr.E(apperr.NotFound, "local up", err)
		}
		if so.Locked {
			return "", apperr.Errorf(apperr.Conflict, "local up", "the lock file s3://%s/%s is still there after the deploy", ts.Bucket, ts.LockKey())
		}
		return fmt.Sprintf("%d bytes, %d version(s), lock released", len(so.Body), so.Versions), nil
	})
}
