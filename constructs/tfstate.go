package constructs

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Where the Terraform deployment keeps its state. The state bucket is not
// part of the System: it must exist before the stack (`twinstack state
// bootstrap` creates it, as `cdk bootstrap` does for the AWS CDK), and it
// outlives every destroy. CloudFormation keeps its state in the service and
// has no counterpart here.

// Terraform state backends.
const (
	StateLocal = "local" // a file next to the project (the default)
	StateS3    = "s3"    // an S3 object with a lock file beside it
)

// StateConfig is what a user chooses about the Terraform state. The zero
// value means local state.
type StateConfig struct {
	Backend string `json:"tf_state"`        // StateLocal (default) or StateS3
	Bucket  string `json:"tf_state_bucket"` // required with s3
	Key     string `json:"tf_state_key"`    // default StateKey(stack)
	Region  string `json:"tf_state_region"` // default the stack's region
}

// TerraformState is the resolved backend the Terraform renderer writes.
type TerraformState struct {
	Backend string // StateLocal or StateS3
	Bucket  string
	Key     string
	Region  string
	// Encrypt asks the backend for server-side encryption of the state
	// object (it holds every attribute of every resource).
	Encrypt bool
	// UseLockfile is S3-native locking (Terraform >= 1.11): a
	// conditional write of <key>.tflock refuses a second writer. No
	// DynamoDB lock table.
	UseLockfile bool
}

// Remote reports whether the state is kept outside the machine.
func (s TerraformState) Remote() bool { return s.Backend == StateS3 }

// LockKey is the object that holds the lock while a run writes the state.
func (s TerraformState) LockKey() string { return s.Key + ".tflock" }

// StateKey is the default state object key of a stack.
func StateKey(stack string) string { return stack + "/terraform.tfstate" }

var (
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipLikeRE     = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// ValidBucketName reports why name is not a valid general purpose S3 bucket
// name, or "" when it is.
func ValidBucketName(name string) string {
	switch {
	case !bucketNameRE.MatchString(name):
		return "not an S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
	case strings.Contains(name, ".."), ipLikeRE.MatchString(name):
		return "not an S3 bucket name: no adjacent dots, not an IP address"
	case strings.Contains(name, "."):
		// Dots break TLS to virtual-hosted bucket endpoints, and the
		// bucket only accepts TLS.
		return "must not contain dots (the bucket is TLS-only and dotted names fail certificate checks)"
	}
	return ""
}

// NewTerraformState validates c and resolves its defaults for stack in
// region. Errors are *FieldError naming the setting, joined.
func NewTerraformState(c StateConfig, stack, region string) (TerraformState, error) {
	var errs []error
	bad := func(field string, v any, reason string) {
		errs = append(errs, &FieldError{Field: field, Value: v, Reason: reason})
	}
	s := TerraformState{Backend: c.Backend, Bucket: c.Bucket, Key: c.Key, Region: c.Region}
	if s.Backend == "" {
		s.Backend = StateLocal
	}
	switch s.Backend {
	case StateLocal:
		for _, f := range []struct{ name, v string }{{"tf_state_bucket", c.Bucket}, {"tf_state_key", c.Key}, {"tf_state_region", c.Region}} {
			if f.v != "" {
				bad(f.name, f.v, "only used with tf_state=s3 (tf_state is local)")
			}
		}
		return TerraformState{Backend: StateLocal}, errors.Join(errs...)
	case StateS3:
	default:
		bad("tf_state", c.Backend, fmt.Sprintf("must be %s or %s", StateLocal, StateS3))
		return TerraformState{}, errors.Join(errs...)
	}
	if s.Bucket == "" {
		bad("tf_state_bucket", s.Bucket, "required with tf_state=s3 (create it with `twinstack state bootstrap`)")
	} else if why := ValidBucketName(s.Bucket); why != "" {
		bad("tf_state_bucket", s.Bucket, why)
	}
	if s.Key == "" {
		s.Key = StateKey(stack)
	}
	switch {
	case strings.HasPrefix(s.Key, "/") || strings.HasSuffix(s.Key, "/"):
		bad("tf_state_key", s.Key, "must not start or end with a slash")
	case strings.Contains(s.Key, "//"):
		bad("tf_state_key", s.Key, "must not contain an empty path segment")
	case len(s.Key) > 1024-len(".tflock"):
		bad("tf_state_key", s.Key, "too long for an S3 key with its .tflock lock file")
	}
	if s.Region == "" {
		s.Region = region
	}
	if !regionRE.MatchString(s.Region) {
		bad("tf_state_region", s.Region, "not an AWS region name such as us-east-1")
	}
	s.Encrypt, s.UseLockfile = true, true
	return s, errors.Join(errs...)
}

// StateBucket is the bucket that holds Terraform state: versioned (every
// state ever written can be restored), private, encrypted and TLS-only.
// `twinstack state bootstrap` creates it and tags it so that it never
// touches a bucket it did not create.
type StateBucket struct {
	Name              string
	Region            string
	Versioned         bool
	BlockPublicAccess bool   // all four public-access blocks
	Encryption        string // "AES256" (SSE-S3)
	// Policy denies every request that is not TLS. Resources are
	// literal ARNs (aws partition).
	Policy []Statement
	// Tags mark the bucket as created by twinstack (CreatedByTag).
	Tags map[string]string
}

// CreatedByTag marks a bucket `twinstack state bootstrap` created; its value
// is StateBucketPurpose.
const (
	CreatedByTag       = "twinstack:created-by"
	StateBucketPurpose = "twinstack state bootstrap"
)

// NewStateBucket describes the state bucket name in region.
func NewStateBucket(name, region string) (StateBucket, error) {
	var errs []error
	if why := ValidBucketName(name); why != "" {
		errs = append(errs, &FieldError{Field: "tf_state_bucket", Value: name, Reason: why})
	}
	if !regionRE.MatchString(region) {
		errs = append(errs, &FieldError{Field: "tf_state_region", Value: region, Reason: "not an AWS region name such as us-east-1"})
	}
	if err := errors.Join(errs...); err != nil {
		return StateBucket{}, err
	}
	arn := "arn:aws:s3:::" + name
	return StateBucket{
		Name:              name,
		Region:            region,
		Versioned:         true,
		BlockPublicAccess: true,
		Encryption:        "AES256",
		Policy: []Statement{{
			Sid:       "DenyInsecureTransport",
			Effect:    "Deny",
			Principal: "*",
			Actions:   []string{"s3:*"},
			Resources: []Value{Lit(arn), Lit(arn + "/*")},
			Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
		}},
		Tags: map[string]string{CreatedByTag: StateBucketPurpose},
	}, nil
}
