package verify

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/twinstack/twinstack/constructs"
)

// The hardening checks (issue 14): bucket lifecycle rules, the images
// table's TTL, the IMDS hop limit, the Lambda's reserved concurrency and
// grants beyond the model's statements. One property per check.
//
// The calls they need are declared here, where they are consumed; the SDK
// clients in Clients have them.

type lifecycleAPI interface {
	GetBucketLifecycleConfiguration(context.Context, *s3.GetBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	PutBucketLifecycleConfiguration(context.Context, *s3.PutBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error)
}

type ttlAPI interface {
	DescribeTimeToLive(context.Context, *dynamodb.DescribeTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error)
	UpdateTimeToLive(context.Context, *dynamodb.UpdateTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

type concurrencyAPI interface {
	GetFunctionConcurrency(context.Context, *lambda.GetFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error)
	PutFunctionConcurrency(context.Context, *lambda.PutFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error)
}

// client returns c as T, or an error naming what is missing (a narrowed
// or fake client without the call).
func client[T any](c any, what string) (T, error) {
	t, ok := c.(T)
	if !ok {
		return t, fmt.Errorf("the %s client cannot read this setting", what)
	}
	return t, nil
}

// apiCode is the AWS error code of err ("" when err is not an API error).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func hardeningChecks(r *reader) []check {
	var cs []check
	cs = append(cs, lifecycleChecks(r)...)
	for _, t := range []*constructs.Table{&r.sys.ImagesTable, &r.sys.AlbumsTable} {
		if t.TTLAttribute != "" {
			cs = append(cs, ttlCheck(r, t))
		}
	}
	for i := range r.sys.Servers {
		if r.sys.Servers[i].MetadataHopLimit > 0 {
			cs = append(cs, hopLimitCheck(r, &r.sys.Servers[i]))
		}
	}
	if r.sys.Function.ReservedConcurrency > 0 {
		cs = append(cs, reservedConcurrencyCheck(r, &r.sys.Function))
	}
	for i := range r.sys.Roles {
		if len(r.sys.Roles[i].Statements) > 0 {
			cs = append(cs, extraGrantsCheck(r, &r.sys.Roles[i]))
		}
	}
	return cs
}

// --- bucket lifecycle ---

// lifecycleText is the canonical text of a rule's actions.
func lifecycleText(enabled bool, abortDays, noncurrentDays int) string {
	var acts []string
	if abortDays > 0 {
		acts = append(acts, fmt.Sprintf("abort incomplete multipart uploads after %d d", abortDays))
	}
	if noncurrentDays > 0 {
		acts = append(acts, fmt.Sprintf("expire noncurrent versions after %d d", noncurrentDays))
	}
	if len(acts) == 0 {
		acts = []string{"no action"}
	}
	status := "disabled"
	if enabled {
		status = "enabled"
	}
	return status + ": " + strings.Join(acts, "; ")
}

// deployedRuleText renders a deployed rule; a rule scoped to part of the
// bucket says so.
func deployedRuleText(rule s3types.LifecycleRule) string {
	var abort, nc int
	if rule.AbortIncompleteMultipartUpload != nil {
		abort = int(aws.ToInt32(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation))
	}
	if rule.NoncurrentVersionExpiration != nil {
		nc = int(aws.ToInt32(rule.NoncurrentVersionExpiration.NoncurrentDays))
	}
	s := lifecycleText(rule.Status == s3types.ExpirationStatusEnabled, abort, nc)
	prefix := aws.ToString(rule.Prefix) // deprecated, but what some emulators return
	if rule.Filter != nil && rule.Filter.Prefix != nil {
		prefix = aws.ToString(rule.Filter.Prefix)
	}
	if prefix != "" {
		s += " (only " + prefix + ")"
	}
	return s
}

func lifecycleChecks(r *reader) []check {
	b := &r.sys.Bucket
	rules := func(ctx context.Context) ([]s3types.LifecycleRule, error) {
		return cached(r, "bucket/lifecycle", func() ([]s3types.LifecycleRule, error) {
			api, err := client[lifecycleAPI](r.c.S3, "S3")
			if err != nil {
				return nil, err
			}
			o, err := api.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(r.bucketName())})
			switch code := apiCode(err); {
			case code == "NoSuchLifecycleConfiguration":
				return nil, nil
			case code == "NoSuchBucket":
				return nil, errNotFound
			case err != nil:
				return nil, err
			}
			return o.Rules, nil
		})
	}
	// The patch writes the model's whole configuration (the API replaces
	// it as a whole).
	patch := func(ctx context.Context) error {
		api, err := client[lifecycleAPI](r.c.S3, "S3")
		if err != nil {
			return err
		}
		var out []s3types.LifecycleRule
		for _, m := range b.Lifecycle {
			lr := s3types.LifecycleRule{ID: aws.String(m.ID), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("")}}
			if m.AbortIncompleteMultipartDays > 0 {
				lr.AbortIncompleteMultipartUpload = &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(int32(m.AbortIncompleteMultipartDays))}
			}
			if m.NoncurrentExpirationDays > 0 {
				lr.NoncurrentVersionExpiration = &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(int32(m.NoncurrentExpirationDays))}
			}
			out = append(out, lr)
		}
		_, err = api.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(r.bucketName()),
			LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: out}})
		return err
	}
	var cs []check
	for _, m := range b.Lifecycle {
		cs = append(cs, check{id: "bucket.lifecycle." + m.ID, resource: b.ID,
			want: lifecycleText(true, m.AbortIncompleteMultipartDays, m.NoncurrentExpirationDays),
			get: func(ctx context.Context) (string, bool, error) {
				rs, err := rules(ctx)
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				for _, rule := range rs {
					if aws.ToString(rule.ID) == m.ID {
						return deployedRuleText(rule), true, nil
					}
				}
				return "no rule " + m.ID, true, nil
			},
			patch: patch})
	}
	return cs
}

// --- DynamoDB TTL ---

func ttlCheck(r *reader, t *constructs.Table) check {
	name := func() *string {
		if p := r.physical(t.ID); p != "" {
			return aws.String(p)
		}
		return aws.String(t.Name)
	}
	return check{id: "table." + string(t.ID) + ".ttl", resource: t.ID, want: t.TTLAttribute + " enabled",
		get: func(ctx context.Context) (string, bool, error) {
			api, err := client[ttlAPI](r.c.DynamoDB, "DynamoDB")
			if err != nil {
				return "", false, err
			}
			o, err := api.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name()})
			if apiCode(err) == "ResourceNotFoundException" {
				return "", false, nil
			}
			if err != nil {
				return "", false, err
			}
			d := o.TimeToLiveDescription
			if d == nil || d.TimeToLiveStatus == "" || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusDisabled {
				return "disabled", true, nil
			}
			st := "enabled"
			if d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled {
				st = strings.ToLower(string(d.TimeToLiveStatus))
			}
			return aws.ToString(d.AttributeName) + " " + st, true, nil
		},
		patch: func(ctx context.Context) error {
			api, err := client[ttlAPI](r.c.DynamoDB, "DynamoDB")
			if err != nil {
				return err
			}
			_, err = api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name(),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true)}})
			return err
		}}
}

// --- IMDS hop limit ---

func hopLimitCheck(r *reader, in *constructs.Instance) check {
	return check{id: "instance." + string(in.ID) + ".imds-hop-limit", resource: in.ID, want: strconv.Itoa(in.MetadataHopLimit),
		get: func(ctx context.Context) (string, bool, error) {
			d, err := r.instance(ctx, in)
			if err != nil {
				ok, err := found(err)
				return "", ok, err
			}
			if d.MetadataOptions == nil || d.MetadataOptions.HttpPutResponseHopLimit == nil {
				return "unset", true, nil
			}
			return strconv.Itoa(int(aws.ToInt32(d.MetadataOptions.HttpPutResponseHopLimit))), true, nil
		},
		patch: func(ctx context.Context) error {
			d, err := r.instance(ctx, in)
			if err != nil {
				return err
			}
			_, err = r.c.EC2.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: d.InstanceId,
				HttpPutResponseHopLimit: aws.Int32(int32(in.MetadataHopLimit))})
			return err
		}}
}

// --- Lambda reserved concurrency ---

func reservedConcurrencyCheck(r *reader, f *constructs.Function) check {
	name := func() *string {
		if p := r.physical(f.ID); p != "" {
			return aws.String(p)
		}
		return aws.String(f.Name)
	}
	return check{id: "function.reserved-concurrency", resource: f.ID, want: strconv.Itoa(f.ReservedConcurrency),
		get: func(ctx context.Context) (string, bool, error) {
			api, err := client[concurrencyAPI](r.c.Lambda, "Lambda")
			if err != nil {
				return "", false, err
			}
			o, err := api.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: name()})
			if apiCode(err) == "ResourceNotFoundException" {
				return "", false, nil
			}
			if err != nil {
				return "", false, err
			}
			if o.ReservedConcurrentExecutions == nil {
				return "unreserved", true, nil
			}
			return strconv.Itoa(int(aws.ToInt32(o.ReservedConcurrentExecutions))), true, nil
		},
		patch: func(ctx context.Context) error {
			api, err := client[concurrencyAPI](r.c.Lambda, "Lambda")
			if err != nil {
				return err
			}
			_, err = api.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: name(),
				ReservedConcurrentExecutions: aws.Int32(int32(f.ReservedConcurrency))})
			return err
		}}
}

// --- grants beyond the model ---

// extraGrantsCheck lists the actions the role's deployed inline policies
// allow that no model statement names (the role's artifact read,
// s3:GetObject, is the renderers' own statement and allowed). Together
// with the per-statement checks it makes the deployed policy exactly the
// model's.
func extraGrantsCheck(r *reader, ro *constructs.Role) check {
	allowed := map[string]bool{}
	for _, st := range ro.Statements {
		if st.Effect == "Allow" {
			for _, a := range st.Actions {
				allowed[strings.ToLower(a)] = true
			}
		}
	}
	if ro.ReadsArtifact != nil {
		allowed["s3:getobject"] = true
	}
	return check{id: "role." + string(ro.ID) + ".grants-beyond-model", resource: ro.ID, want: "none",
		get: func(ctx context.Context) (string, bool, error) {
			if _, err := r.role(ctx, ro); err != nil {
				ok, err := found(err)
				return "", ok, err
			}
			sts, err := r.rolePolicies(ctx, ro)
			if err != nil {
				return "", false, err
			}
			return extraActions(sts, allowed), true, nil
		}}
}

// extraActions is the sorted set of allowed actions (or patterns) not in
// allowed, or "none".
func extraActions(sts []statement, allowed map[string]bool) string {
	extra := map[string]bool{}
	for _, s := range sts {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Actions {
			if !allowed[strings.ToLower(a)] {
				extra[a] = true
			}
		}
	}
	if len(extra) == 0 {
		return "none"
	}
	out := make([]string, 0, len(extra))
	for a := range extra {
		out = append(out, a)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
