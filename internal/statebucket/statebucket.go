package statebucket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
)

// API is the part of the S3 client Bootstrap calls; *s3.Client fits it.
type API interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	DeleteBucket(context.Context, *s3.DeleteBucketInput, ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
	GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	PutBucketTagging(context.Context, *s3.PutBucketTaggingInput, ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
}

// ErrNotOurs reports a bucket that exists without the twinstack:created-by
// tag (or that this account cannot see): Bootstrap leaves it alone.
var ErrNotOurs = errors.New("bucket exists and was not created by `twinstack state bootstrap`")

// Result says what Bootstrap did.
type Result struct {
	Bucket string
	Region string
	// Created is false when the bucket existed (ours) and was converged.
	Created bool
	// Applied lists the settings applied, in order.
	Applied []string
}

// Bootstrap creates (or converges) the state bucket b. It refuses, with
// apperr.Conflict wrapping ErrNotOurs, a bucket it did not create.
func Bootstrap(ctx context.Context, c API, b constructs.StateBucket, log *slog.Logger) (Result, error) {
	const op = "state bootstrap"
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res := Result{Bucket: b.Name, Region: b.Region}
	exists, err := bucketExists(ctx, c, b.Name)
	if err != nil {
		return res, err
	}
	if exists {
		ours, err := createdByUs(ctx, c, b.Name)
		if err != nil {
			return res, err
		}
		if !ours {
			return res, apperr.E(apperr.Conflict, op, fmt.Errorf("%s: %w (no %s=%q tag): choose another tf_state_bucket", b.Name, ErrNotOurs, constructs.CreatedByTag, constructs.StateBucketPurpose))
		}
		log.Info("state bucket exists and is ours: converging its settings", "bucket", b.Name)
	} else {
		in := &s3.CreateBucketInput{Bucket: aws.String(b.Name)}
		if b.Region != "us-east-1" {
			in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(b.Region)}
		}
		if _, err := c.CreateBucket(ctx, in); err != nil {
			switch code(err) {
			case "BucketAlreadyExists", "BucketAlreadyOwnedByYou":
				return res, apperr.E(apperr.Conflict, op, fmt.Errorf("%s: %w (created by someone else meanwhile): %w", b.Name, ErrNotOurs, err))
			}
			return res, apperr.E(apperr.StorageUnavailable, op, fmt.Errorf("create bucket %s: %w", b.Name, err))
		}
		res.Created = true
		res.Applied = append(res.Applied, "created in "+b.Region)
		log.Info("state bucket created", "bucket", b.Name, "region", b.Region)
	}
	applied, err := configure(ctx, c, b)
	res.Applied = append(res.Applied, applied...)
	if err != nil {
		if res.Created {
			// Still empty: take it away again rather than leave a
			// bucket without its protections.
			if _, derr := c.DeleteBucket(context.WithoutCancel(ctx), &s3.DeleteBucketInput{Bucket: aws.String(b.Name)}); derr != nil {
				err = errors.Join(err, fmt.Errorf("delete the half-configured bucket %s: %w", b.Name, derr))
			} else {
				log.Warn("state bucket deleted again after a failed setting", "bucket", b.Name)
			}
		}
		return res, apperr.E(apperr.StorageUnavailable, op, err)
	}
	return res, nil
}

// configure applies the model's settings, the tag first.
func configure(ctx context.Context, c API, b constructs.StateBucket) ([]string, error) {
	var applied []string
	name := aws.String(b.Name)
	keys := make([]string, 0, len(b.Tags))
	for k := range b.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []types.Tag
	for _, k := range keys {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(b.Tags[k])})
	}
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: name, Tagging: &types.Tagging{TagSet: tags}}); err != nil {
		return applied, fmt.Errorf("tag %s: %w", b.Name, err)
	}
	applied = append(applied, "tagged "+constructs.CreatedByTag)
	if b.Versioned {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: name,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			return applied, fmt.Errorf("versioning of %s: %w", b.Name, err)
		}
		applied = append(applied, "versioning enabled")
	}
	if b.BlockPublicAccess {
		t := aws.Bool(true)
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: name,
			PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: t, BlockPublicPolicy: t, IgnorePublicAcls: t, RestrictPublicBuckets: t}}); err != nil {
			return applied, fmt.Errorf("public access block of %s: %w", b.Name, err)
		}
		applied = append(applied, "public access blocked")
	}
	if b.Encryption != "" {
		if _, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: name,
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryption(b.Encryption)},
			}}}}); err != nil {
			return applied, fmt.Errorf("encryption of %s: %w", b.Name, err)
		}
		applied = append(applied, "encrypted "+b.Encryption)
	}
	if len(b.Policy) > 0 {
		doc, err := PolicyJSON(b.Policy)
		if err != nil {
			return applied, err
		}
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: name, Policy: aws.String(doc)}); err != nil {
			return applied, fmt.Errorf("policy of %s: %w", b.Name, err)
		}
		applied = append(applied, "TLS-only policy")
	}
	return applied, nil
}

// PolicyJSON renders resource-policy statements with literal resources as
// an IAM policy document.
func PolicyJSON(stmts []constructs.Statement) (string, error) {
	type statement struct {
		Sid       string                       `json:"Sid,omitempty"`
		Effect    string                       `json:"Effect"`
		Principal string                       `json:"Principal,omitempty"`
		Action    []string                     `json:"Action"`
		Resource  []string                     `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, s := range stmts {
		st := statement{Sid: s.Sid, Effect: s.Effect, Principal: s.Principal, Action: s.Actions, Condition: s.Condition}
		for _, r := range s.Resources {
			if r.Ref != nil {
				return "", fmt.Errorf("policy statement %s: a reference where a literal ARN is needed", s.Sid)
			}
			st.Resource = append(st.Resource, r.Literal)
		}
		doc.Statement = append(doc.Statement, st)
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// bucketExists asks HeadBucket: 404 is false; 403 (another account's
// bucket) is ErrNotOurs.
func bucketExists(ctx context.Context, c API, name string) (bool, error) {
	const op = "state bootstrap"
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if err == nil {
		return true, nil
	}
	var nf *types.NotFound
	var nsb *types.NoSuchBucket
	switch {
	case errors.As(err, &nf), errors.As(err, &nsb), code(err) == "NotFound", code(err) == "NoSuchBucket":
		return false, nil
	case code(err) == "Forbidden", code(err) == "AccessDenied", code(err) == "403":
		return false, apperr.E(apperr.Conflict, op, fmt.Errorf("%s: %w (access denied: another account's bucket?): %w", name, ErrNotOurs, err))
	}
	return false, apperr.E(apperr.StorageUnavailable, op, fmt.Errorf("head bucket %s: %w", name, err))
}

// createdByUs reports whether the bucket carries the created-by tag.
func createdByUs(ctx context.Context, c API, name string) (bool, error) {
	o, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
	if err != nil {
		if code(err) == "NoSuchTagSet" {
			return false, nil
		}
		if code(err) == "AccessDenied" {
			return false, nil
		}
		return false, apperr.E(apperr.StorageUnavailable, "state bootstrap", fmt.Errorf("tags of %s: %w", name, err))
	}
	for _, t := range o.TagSet {
		if aws.ToString(t.Key) == constructs.CreatedByTag && aws.ToString(t.Value) == constructs.StateBucketPurpose {
			return true, nil
		}
	}
	return false, nil
}

// code is the AWS API error code of err, or "".
func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
