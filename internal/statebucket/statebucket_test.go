package statebucket_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/statebucket"
)

func client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func model(t *testing.T, name string) constructs.StateBucket {
	t.Helper()
	b, err := constructs.NewStateBucket(name, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBootstrapOnMoto creates the state bucket on a real moto_server and
// reads every setting back through the S3 API; the expectations are the
// issue's (versioned, private, encrypted, TLS-only, tagged).
func TestBootstrapOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ctx := context.Background()
	c := client(moto.StartT(t).Endpoint())

	res, err := statebucket.Bootstrap(ctx, c, model(t, "acme-tfstate"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created {
		t.Errorf("Created = false for a new bucket")
	}
	name := aws.String("acme-tfstate")
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: name})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Errorf("location = %v, %v; want eu-west-1", loc, err)
	}
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: name})
	if err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("versioning = %v, %v", v, err)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name})
	if err != nil {
		t.Fatal(err)
	}
	p := pab.PublicAccessBlockConfiguration
	if !aws.ToBool(p.BlockPublicAcls) || !aws.ToBool(p.BlockPublicPolicy) || !aws.ToBool(p.IgnorePublicAcls) || !aws.ToBool(p.RestrictPublicBuckets) {
		t.Errorf("public access block = %+v", p)
	}
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: name})
	if err != nil || len(enc.ServerSideEncryptionConfiguration.Rules) != 1 ||
		enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Errorf("encryption = %v, %v", enc, err)
	}
	pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Principal string
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 {
		t.Fatalf("policy = %s", aws.ToString(pol.Policy))
	}
	s := doc.Statement[0]
	if s.Effect != "Deny" || s.Principal != "*" || s.Condition["Bool"]["aws:SecureTransport"] != "false" ||
		!cmp.Equal(s.Resource, []string{"arn:aws:s3:::acme-tfstate", "arn:aws:s3:::acme-tfstate/*"}) {
		t.Errorf("policy is not TLS-only for the bucket and its objects: %s", aws.ToString(pol.Policy))
	}
	tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: name})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "twinstack:created-by" {
		t.Errorf("tags = %v, %v", tags, err)
	}

	t.Run("again converges", func(t *testing.T) {
		// Drift on our own bucket is repaired by a second run.
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: name,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
			t.Fatal(err)
		}
		res, err := statebucket.Bootstrap(ctx, c, model(t, "acme-tfstate"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created {
			t.Errorf("Created = true for an existing bucket")
		}
		v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: name})
		if err != nil || v.Status != types.BucketVersioningStatusEnabled {
			t.Errorf("versioning after the second run = %v, %v", v.Status, err)
		}
	})

	t.Run("refuses a bucket it did not create", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			tags []types.Tag
		}{
			{"untagged-state", nil},
			{"other-tag-state", []types.Tag{{Key: aws.String("owner"), Value: aws.String("someone")}}},
		} {
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(tc.name),
				CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
				t.Fatal(err)
			}
			if tc.tags != nil {
				if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(tc.name), Tagging: &types.Tagging{TagSet: tc.tags}}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := statebucket.Bootstrap(ctx, c, model(t, tc.name), nil)
			if !errors.Is(err, statebucket.ErrNotOurs) || apperr.CodeOf(err) != apperr.Conflict {
				t.Fatalf("%s: err = %v (code %s), want ErrNotOurs / conflict", tc.name, err, apperr.CodeOf(err))
			}
			// Untouched: no versioning, no policy, tags as they were.
			v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(tc.name)})
			if err != nil || v.Status != "" {
				t.Errorf("%s: versioning changed to %q (%v)", tc.name, v.Status, err)
			}
			if _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(tc.name)}); apiCode(err) != "NoSuchBucketPolicy" {
				t.Errorf("%s: policy read = %v, want NoSuchBucketPolicy", tc.name, err)
			}
			got, _ := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(tc.name)})
			if got != nil && len(got.TagSet) != len(tc.tags) {
				t.Errorf("%s: tags changed to %v", tc.name, got.TagSet)
			}
		}
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// failingPolicy is moto's client whose PutBucketPolicy fails, to prove that
// a bucket created by this run is removed again.
type failingPolicy struct{ *s3.Client }

func (f failingPolicy) PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "MalformedPolicy", Message: "injected"}
}

// TestBootstrapNothingHalfWritten: a setting that fails after the bucket was
// created deletes the bucket again.
func TestBootstrapNothingHalfWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ctx := context.Background()
	c := client(moto.StartT(t).Endpoint())
	_, err := statebucket.Bootstrap(ctx, failingPolicy{c}, model(t, "half-state"), nil)
	if apperr.CodeOf(err) != apperr.StorageUnavailable || !strings.Contains(err.Error(), "policy of half-state") {
		t.Fatalf("err = %v (code %s)", err, apperr.CodeOf(err))
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("half-state")}); err == nil {
		t.Errorf("the half-configured bucket is still there")
	}
}

// TestPolicyJSON refuses references: the state bucket is outside any stack.
func TestPolicyJSON(t *testing.T) {
	_, err := statebucket.PolicyJSON([]constructs.Statement{{Sid: "X", Effect: "Deny", Resources: []constructs.Value{constructs.RefTo("B", constructs.AttrARN)}}})
	if err == nil {
		t.Fatal("a reference was rendered")
	}
}
