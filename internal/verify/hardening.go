package verify

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/twinstack/twinstack/constructs"
)

// The hardening checks (issue 14): the bucket's lifecycle rules, the
// tables' TTL and the Lambda's reserved concurrency; and the Lambda's log
// group retention. The IMDS hop limit is a launch-template and instance
// check of the server group (servergroup.go). Each set is listed in
// checkSets after the checks of the resource it belongs to.

// --- bucket lifecycle ---

// lifecycleText is the canonical text of a rule's actions: "enabled: abort
// incomplete multipart uploads after 1 d".
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

// deployedRuleText renders a deployed rule like lifecycleText; a rule
// scoped to part of the bucket, or with actions the model's rules never
// have, says so.
func deployedRuleText(rule s3types.LifecycleRule) string {
	var abort, nc int
	if rule.AbortIncompleteMultipartUpload != nil {
		abort = int(aws.ToInt32(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation))
	}
	if rule.NoncurrentVersionExpiration != nil {
		nc = int(aws.ToInt32(rule.NoncurrentVersionExpiration.NoncurrentDays))
	}
	s := lifecycleText(rule.Status == s3types.ExpirationStatusEnabled, abort, nc)
	if e := rule.Expiration; e != nil && (e.Days != nil || e.Date != nil || aws.ToBool(e.ExpiredObjectDeleteMarker)) {
		s += "; also expires current objects"
	}
	if len(rule.Transitions) > 0 || len(rule.NoncurrentVersionTransitions) > 0 {
		s += "; also transitions"
	}
	prefix := aws.ToString(rule.Prefix) // deprecated, but what some emulators return
	if f := rule.Filter; f != nil {
		switch {
		case f.Prefix != nil:
			prefix = aws.ToString(f.Prefix)
		case f.And != nil || f.Tag != nil || f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil:
			prefix = "a filtered part"
		}
	}
	if prefix != "" {
		s += " (only " + prefix + ")"
	}
	return s
}

// modelLifecycle is the model's whole lifecycle configuration, as a patch
// writes it.
func modelLifecycle(b *constructs.Bucket) []s3types.LifecycleRule {
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
	return out
}

// lifecycleChecks compares each of the model's rules, found by its id. A
// bucket without a lifecycle configuration has none of them (missing).
func lifecycleChecks(r *reader) []check {
	b := &r.sys.Bucket
	rules := lookupOf(func(ctx context.Context) ([]s3types.LifecycleRule, error) {
		return cached(r, "bucket/lifecycle", func() ([]s3types.LifecycleRule, error) {
			o, err := r.c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(r.bucketName())})
			if err != nil {
				return nil, err
			}
			return o.Rules, nil
		})
	})
	// The API replaces the configuration as a whole: every lifecycle patch
	// writes the model's rules and nothing else.
	putModel := func(ctx context.Context) error {
		_, err := r.c.S3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(r.bucketName()),
			LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: modelLifecycle(b)}})
		return err
	}
	var cs []check
	for _, m := range b.Lifecycle {
		c := prop("bucket.lifecycle."+m.ID, b.ID, "LifecycleConfiguration.Rules["+m.ID+"]", lifecycleText(true, m.AbortIncompleteMultipartDays, m.NoncurrentExpirationDays), rules,
			func(_ context.Context, rs []s3types.LifecycleRule) (string, bool, error) {
				for _, rule := range rs {
					if aws.ToString(rule.ID) == m.ID {
						return deployedRuleText(rule), true, nil
					}
				}
				return "", false, nil
			})
		c.patch = putModel
		cs = append(cs, c)
	}
	// Rules the model does not have: an extra expiration would delete
	// images. (Not "bucket.lifecycle.nothing-else": the per-rule ids
	// share that prefix, and a gap entry for the rules must not cover it.)
	model := map[string]bool{}
	for _, m := range b.Lifecycle {
		model[m.ID] = true
	}
	extra := check{id: "bucket.lifecycle-rules.nothing-else", resource: b.ID, property: "LifecycleConfiguration.Rules (not in the model)", want: "no other rules",
		get: func(ctx context.Context) (string, bool, error) {
			// Here no configuration means no rules; a missing bucket is
			// still missing.
			rs, err := cached(r, "bucket/lifecycle-or-none", func() ([]s3types.LifecycleRule, error) {
				o, err := r.c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(r.bucketName())})
				if APIErrorCode(err) == "NoSuchLifecycleConfiguration" {
					return nil, nil
				}
				if err != nil {
					return nil, err
				}
				return o.Rules, nil
			})
			if ok, err := found(err); !ok {
				return "", false, err
			}
			var got []string
			for _, rule := range rs {
				if !model[aws.ToString(rule.ID)] {
					got = append(got, aws.ToString(rule.ID)+": "+deployedRuleText(rule))
				}
			}
			if len(got) == 0 {
				return "no other rules", true, nil
			}
			return "also " + strings.Join(got, "; "), true, nil
		}}
	extra.patch = putModel
	return append(cs, extra)
}

// --- DynamoDB time to live ---

func ttlChecks(r *reader) []check {
	var cs []check
	for _, t := range []*constructs.Table{&r.sys.ImagesTable, &r.sys.AlbumsTable} {
		cs = append(cs, ttlCheck(r, t))
	}
	return cs
}

// ttlText is the canonical text of a table's TTL: "expires_at enabled",
// "disabled".
func ttlText(d *ddbtypes.TimeToLiveDescription) string {
	if d == nil || d.TimeToLiveStatus == "" || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusDisabled {
		return "disabled"
	}
	return aws.ToString(d.AttributeName) + " " + strings.ToLower(string(d.TimeToLiveStatus))
}

// ttlCheck: no table of the model has a TTL (no item of ours is meant to
// expire; a TTL on the images table would delete images), so any TTL the
// deployment has is drift, and the patch turns it off.
func ttlCheck(r *reader, t *constructs.Table) check {
	name := func() *string { return r.physicalName(t.ID, t.Name) }
	ttl := lookupOf(func(ctx context.Context) (*ddbtypes.TimeToLiveDescription, error) {
		return cached(r, "ttl/"+aws.ToString(name()), func() (*ddbtypes.TimeToLiveDescription, error) {
			o, err := r.c.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name()})
			if err != nil {
				return nil, err
			}
			return o.TimeToLiveDescription, nil
		})
	})
	c := prop("table."+string(t.ID)+".ttl", t.ID, "TimeToLiveDescription", "disabled", ttl, value(ttlText))
	c.patch = func(ctx context.Context) error {
		d, err := must(ctx, ttl, "table "+t.Name)
		if err != nil {
			return err
		}
		if d == nil || d.TimeToLiveStatus == "" || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusDisabled {
			return nil
		}
		_, err = r.c.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name(),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: d.AttributeName, Enabled: aws.Bool(false)}})
		if err != nil {
			return fmt.Errorf("disable ttl on %s: %w", aws.ToString(d.AttributeName), err)
		}
		return nil
	}
	return c
}

// --- Lambda reserved concurrency ---

func concurrencyChecks(r *reader) []check {
	f := &r.sys.Function
	name := func() *string { return r.physicalName(f.ID, f.Name) }
	reserved := lookupOf(func(ctx context.Context) (*int32, error) {
		return cached(r, "fn/concurrency", func() (*int32, error) {
			o, err := r.c.Lambda.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: name()})
			if err != nil {
				return nil, err
			}
			return o.ReservedConcurrentExecutions, nil
		})
	})
	text := func(n *int32) string {
		if n == nil {
			return "unreserved"
		}
		return strconv.Itoa(int(*n))
	}
	want := "unreserved"
	if f.ReservedConcurrency > 0 {
		want = strconv.Itoa(f.ReservedConcurrency)
	}
	c := prop("function.reserved-concurrency", f.ID, "ReservedConcurrentExecutions", want, reserved, value(text))
	c.patch = func(ctx context.Context) error {
		if f.ReservedConcurrency <= 0 {
			_, err := r.c.Lambda.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: name()})
			return err
		}
		_, err := r.c.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: name(),
			ReservedConcurrentExecutions: aws.Int32(int32(f.ReservedConcurrency))})
		return err
	}
	return []check{c}
}

// --- Lambda log group (issue 17) ---

// retentionText is a log group's retention as the diff writes it: "30
// days", or "never expires" without one.
func retentionText(days *int32) string {
	if days == nil {
		return "never expires"
	}
	return strconv.Itoa(int(*days)) + " days"
}

func logGroupChecks(r *reader) []check {
	lg := &r.sys.Function.Logs
	name := lg.Name
	if p := r.physical(lg.ID); p != "" {
		name = p
	}
	group := lookupOf(func(ctx context.Context) (cwltypes.LogGroup, error) {
		return cached(r, "fn/log-group", func() (cwltypes.LogGroup, error) {
			o, err := r.c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
			if err != nil {
				return cwltypes.LogGroup{}, err
			}
			for _, g := range o.LogGroups {
				if aws.ToString(g.LogGroupName) == name {
					return g, nil
				}
			}
			return cwltypes.LogGroup{}, errNotFound
		})
	})
	want := int32(lg.RetentionDays)
	c := prop("log-group.retention", lg.ID, "RetentionInDays", retentionText(&want), group,
		value(func(g cwltypes.LogGroup) string { return retentionText(g.RetentionInDays) }))
	c.patch = func(ctx context.Context) error {
		_, err := r.c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(name), RetentionInDays: aws.Int32(want)})
		return err
	}
	return []check{c}
}
