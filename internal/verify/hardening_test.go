package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
)

// In-process fakes: each embeds the narrow interface (calling anything
// else panics) and answers the hardening calls from its fields.

type fakeS3 struct {
	S3API
	rules []s3types.LifecycleRule
	err   error
	puts  int
}

func (f *fakeS3) GetBucketLifecycleConfiguration(context.Context, *s3.GetBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &s3.GetBucketLifecycleConfigurationOutput{Rules: f.rules}, nil
}

func (f *fakeS3) PutBucketLifecycleConfiguration(_ context.Context, in *s3.PutBucketLifecycleConfigurationInput, _ ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error) {
	f.puts++
	f.rules, f.err = in.LifecycleConfiguration.Rules, nil
	return &s3.PutBucketLifecycleConfigurationOutput{}, nil
}

type fakeDDB struct {
	DynamoDBAPI
	ttl *ddbtypes.TimeToLiveDescription
	err error
}

func (f *fakeDDB) DescribeTimeToLive(context.Context, *dynamodb.DescribeTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
	return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: f.ttl}, f.err
}

func (f *fakeDDB) UpdateTimeToLive(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	f.ttl = &ddbtypes.TimeToLiveDescription{AttributeName: in.TimeToLiveSpecification.AttributeName, TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}
	return &dynamodb.UpdateTimeToLiveOutput{}, nil
}

type fakeEC2 struct {
	EC2API
	hop *int32
}

func (f *fakeEC2) DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	in := ec2types.Instance{InstanceId: aws.String("i-1"), MetadataOptions: &ec2types.InstanceMetadataOptionsResponse{HttpPutResponseHopLimit: f.hop}}
	return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: []ec2types.Instance{in}}}}, nil
}

func (f *fakeEC2) ModifyInstanceMetadataOptions(_ context.Context, in *ec2.ModifyInstanceMetadataOptionsInput, _ ...func(*ec2.Options)) (*ec2.ModifyInstanceMetadataOptionsOutput, error) {
	f.hop = in.HttpPutResponseHopLimit
	return &ec2.ModifyInstanceMetadataOptionsOutput{}, nil
}

type fakeLambda struct {
	LambdaAPI
	reserved *int32
}

func (f *fakeLambda) GetFunctionConcurrency(context.Context, *lambda.GetFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error) {
	return &lambda.GetFunctionConcurrencyOutput{ReservedConcurrentExecutions: f.reserved}, nil
}

func (f *fakeLambda) PutFunctionConcurrency(_ context.Context, in *lambda.PutFunctionConcurrencyInput, _ ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error) {
	f.reserved = in.ReservedConcurrentExecutions
	return &lambda.PutFunctionConcurrencyOutput{}, nil
}

func hardeningReader(t *testing.T, c *Clients) *reader {
	t.Helper()
	sys, err := constructs.New(constructs.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	return &reader{c: c, sys: sys, account: "123456789012", region: sys.Region, memo: map[string]memoEntry{}}
}

// checkByID finds one hardening check.
func checkByID(t *testing.T, r *reader, id string) check {
	t.Helper()
	for _, c := range hardeningChecks(r) {
		if c.id == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return check{}
}

// TestHardeningCheckIDs: one check per new setting, named after it.
func TestHardeningCheckIDs(t *testing.T) {
	var ids []string
	for _, c := range hardeningChecks(hardeningReader(t, &Clients{})) {
		ids = append(ids, c.id+" = "+c.want)
	}
	want := []string{
		"bucket.lifecycle.abort-incomplete-multipart-uploads = enabled: abort incomplete multipart uploads after 1 d",
		"bucket.lifecycle.expire-noncurrent-versions = enabled: expire noncurrent versions after 30 d",
		"table.ImagesTable.ttl = expires_at enabled",
		"instance.Server1.imds-hop-limit = 1",
		"instance.Server2.imds-hop-limit = 1",
		"function.reserved-concurrency = 20",
		"role.ServerRole.grants-beyond-model = none",
	}
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("checks (-want +got):\n%s", d)
	}
}

func TestLifecycleChecks(t *testing.T) {
	ctx := context.Background()
	ok := []s3types.LifecycleRule{
		{ID: aws.String("abort-incomplete-multipart-uploads"), Status: s3types.ExpirationStatusEnabled,
			AbortIncompleteMultipartUpload: &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}},
		{ID: aws.String("expire-noncurrent-versions"), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
			NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30)}},
	}
	for _, tc := range []struct {
		name   string
		rules  []s3types.LifecycleRule
		err    error
		status Status
		got    string
	}{
		{"as modelled", ok, nil, OK, "enabled: expire noncurrent versions after 30 d"},
		{"other days", []s3types.LifecycleRule{ok[0], {ID: ok[1].ID, Status: s3types.ExpirationStatusEnabled,
			NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(365)}}}, nil, Different, "enabled: expire noncurrent versions after 365 d"},
		{"disabled", []s3types.LifecycleRule{ok[0], {ID: ok[1].ID, Status: s3types.ExpirationStatusDisabled,
			NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30)}}}, nil, Different, "disabled: expire noncurrent versions after 30 d"},
		{"only a prefix", []s3types.LifecycleRule{ok[0], {ID: ok[1].ID, Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30)}}}, nil, Different, "enabled: expire noncurrent versions after 30 d (only tmp/)"},
		{"no configuration", nil, &smithy.GenericAPIError{Code: "NoSuchLifecycleConfiguration"}, Different, "no rule expire-noncurrent-versions"},
		{"no bucket", nil, &smithy.GenericAPIError{Code: "NoSuchBucket"}, Missing, ""},
		{"denied", nil, &smithy.GenericAPIError{Code: "AccessDenied"}, Failed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hardeningReader(t, &Clients{S3: &fakeS3{rules: tc.rules, err: tc.err}})
			res := runCheck(ctx, checkByID(t, r, "bucket.lifecycle.expire-noncurrent-versions"))
			if res.Status != tc.status || res.Got != tc.got {
				t.Errorf("%s %q, want %s %q (%s)", res.Status, res.Got, tc.status, tc.got, res.Detail)
			}
		})
	}
	// The patch writes both rules at once.
	f := &fakeS3{err: &smithy.GenericAPIError{Code: "NoSuchLifecycleConfiguration"}}
	r := hardeningReader(t, &Clients{S3: f})
	c := checkByID(t, r, "bucket.lifecycle.abort-incomplete-multipart-uploads")
	if err := c.patch(ctx); err != nil {
		t.Fatal(err)
	}
	r.forget()
	for _, id := range []string{"bucket.lifecycle.abort-incomplete-multipart-uploads", "bucket.lifecycle.expire-noncurrent-versions"} {
		if res := runCheck(ctx, checkByID(t, r, id)); res.Status != OK {
			t.Errorf("after the patch %s: %s %q", id, res.Status, res.Got)
		}
	}
	if f.puts != 1 {
		t.Errorf("%d puts", f.puts)
	}
}

func TestLifecycleCheckWithoutTheCall(t *testing.T) {
	r := hardeningReader(t, &Clients{S3: struct{ S3API }{}})
	res := runCheck(context.Background(), checkByID(t, r, "bucket.lifecycle.expire-noncurrent-versions"))
	if res.Status != Failed || !strings.Contains(res.Detail, "cannot read") {
		t.Errorf("%s %q", res.Status, res.Detail)
	}
}

func TestTTLCheck(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		ttl    *ddbtypes.TimeToLiveDescription
		err    error
		status Status
		got    string
	}{
		{"enabled", &ddbtypes.TimeToLiveDescription{AttributeName: aws.String("expires_at"), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}, nil, OK, "expires_at enabled"},
		{"other attribute", &ddbtypes.TimeToLiveDescription{AttributeName: aws.String("ttl"), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}, nil, Different, "ttl enabled"},
		{"disabled", &ddbtypes.TimeToLiveDescription{TimeToLiveStatus: ddbtypes.TimeToLiveStatusDisabled}, nil, Different, "disabled"},
		{"enabling", &ddbtypes.TimeToLiveDescription{AttributeName: aws.String("expires_at"), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabling}, nil, Different, "expires_at enabling"},
		{"no table", nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}, Missing, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hardeningReader(t, &Clients{DynamoDB: &fakeDDB{ttl: tc.ttl, err: tc.err}})
			res := runCheck(ctx, checkByID(t, r, "table.ImagesTable.ttl"))
			if res.Status != tc.status || res.Got != tc.got {
				t.Errorf("%s %q, want %s %q (%s)", res.Status, res.Got, tc.status, tc.got, res.Detail)
			}
		})
	}
	f := &fakeDDB{ttl: &ddbtypes.TimeToLiveDescription{TimeToLiveStatus: ddbtypes.TimeToLiveStatusDisabled}}
	c := checkByID(t, hardeningReader(t, &Clients{DynamoDB: f}), "table.ImagesTable.ttl")
	if err := c.patch(ctx); err != nil {
		t.Fatal(err)
	}
	if res := runCheck(ctx, c); res.Status != OK {
		t.Errorf("after the patch: %s %q", res.Status, res.Got)
	}
}

func TestHopLimitCheck(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		hop    *int32
		status Status
		got    string
	}{{aws.Int32(1), OK, "1"}, {aws.Int32(2), Different, "2"}, {nil, Different, "unset"}} {
		f := &fakeEC2{hop: tc.hop}
		r := hardeningReader(t, &Clients{EC2: f})
		c := checkByID(t, r, "instance.Server1.imds-hop-limit")
		if res := runCheck(ctx, c); res.Status != tc.status || res.Got != tc.got {
			t.Errorf("hop %v: %s %q, want %s %q", tc.hop, res.Status, res.Got, tc.status, tc.got)
		}
		if err := c.patch(ctx); err != nil {
			t.Fatal(err)
		}
		r.forget()
		if res := runCheck(ctx, c); res.Status != OK {
			t.Errorf("after the patch: %s %q", res.Status, res.Got)
		}
	}
}

func TestReservedConcurrencyCheck(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		reserved *int32
		status   Status
		got      string
	}{{aws.Int32(20), OK, "20"}, {aws.Int32(1000), Different, "1000"}, {nil, Different, "unreserved"}} {
		f := &fakeLambda{reserved: tc.reserved}
		c := checkByID(t, hardeningReader(t, &Clients{Lambda: f}), "function.reserved-concurrency")
		if res := runCheck(ctx, c); res.Status != tc.status || res.Got != tc.got {
			t.Errorf("reserved %v: %s %q, want %s %q", tc.reserved, res.Status, res.Got, tc.status, tc.got)
		}
		if err := c.patch(ctx); err != nil {
			t.Fatal(err)
		}
		if res := runCheck(ctx, c); res.Status != OK {
			t.Errorf("after the patch: %s %q", res.Status, res.Got)
		}
	}
}

func TestExtraActions(t *testing.T) {
	allowed := map[string]bool{"s3:getobject": true, "dynamodb:getitem": true}
	for _, tc := range []struct {
		sts  []statement
		want string
	}{
		{[]statement{{Effect: "Allow", Actions: []string{"s3:GetObject", "dynamodb:GetItem"}}}, "none"},
		{[]statement{{Effect: "Allow", Actions: []string{"s3:GetObject", "ssm:GetParameter"}}, {Effect: "Allow", Actions: []string{"dynamodb:*"}}}, "dynamodb:*, ssm:GetParameter"},
		{[]statement{{Effect: "Deny", Actions: []string{"s3:*"}}}, "none"},
	} {
		if got := extraActions(tc.sts, allowed); got != tc.want {
			t.Errorf("extraActions = %q, want %q", got, tc.want)
		}
	}
}
