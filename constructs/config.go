package constructs

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Config is what a user chooses about the system. The zero value is not
// valid; start from Defaults.
type Config struct {
	// Prefix names every resource ("twinstack" -> "twinstack-images"). It
	// must be valid inside an S3 bucket name: 3-25 lower-case letters,
	// digits and hyphens, starting with a letter, not ending with a hyphen.
	Prefix string `json:"prefix"`
	Region string `json:"region"`
	// InstanceCount is the server group's desired capacity; MinInstances
	// and MaxInstances bound what the scaling policy may set. Max must
	// exceed the desired count: a rolling update launches a new server
	// before it stops an old one.
	InstanceCount int    `json:"instance_count"`
	MinInstances  int    `json:"min_instances"`
	MaxInstances  int    `json:"max_instances"`
	InstanceType  string `json:"instance_type"`
	// ScaleRequestsPerInstance is the scaling policy's target: requests
	// per minute per server through the load balancer.
	ScaleRequestsPerInstance int `json:"scale_requests_per_instance"`
	// AdminCIDR, when set, opens SSH (22) to the servers from this IPv4
	// CIDR alone.
	AdminCIDR        string `json:"admin_cidr"`
	LambdaMemoryMB   int    `json:"lambda_memory_mb"`
	LambdaTimeoutSec int    `json:"lambda_timeout_seconds"`
	// DestroyData opts into emptying and deleting the bucket and tables on
	// destroy. The default keeps them.
	DestroyData bool `json:"destroy_data"`
	// ReleaseData is the way out with the data kept, for Terraform: the
	// next deploy gives the bucket and tables up without deleting them
	// (they leave the state), so that a destroy afterwards removes
	// everything else. CloudFormation needs no such step (its destroy
	// keeps them by DeletionPolicy). Only with destroy_data=false.
	ReleaseData bool `json:"release_data"`
	// AdoptData is the way back, for Terraform: the next deploy takes a
	// kept bucket and tables of the same names into the state (imports
	// them) instead of failing with "already exists". CloudFormation's way
	// back is `cdk import` with System.ImportMapping. Only with
	// destroy_data=false.
	AdoptData bool `json:"adopt_data"`
	// LambdaReservedConcurrency caps (and reserves) the Lambda's concurrent
	// executions, so that a flood of invocations neither burns the
	// account's shared concurrency nor queues more requests than the
	// servers have ingest slots for (see the README's capacity arithmetic).
	LambdaReservedConcurrency int `json:"lambda_reserved_concurrency"`
	// SSMAccess grants the instances the SSM agent's actions (Session
	// Manager, Run Command) through a minimal statement; false grants none.
	SSMAccess bool `json:"ssm_access"`
	// NoncurrentVersionDays is how long a replaced or deleted image version
	// is kept before the bucket's lifecycle rule expires it.
	NoncurrentVersionDays int `json:"noncurrent_version_days"`
	// AllowedOriginPorts lists the destination ports the servers may fetch
	// images from, comma-separated ("80,443").
	AllowedOriginPorts string `json:"allowed_origin_ports"`
	// LambdaLogRetentionDays is how long the Lambda's log group keeps
	// events; one of CloudWatch Logs' allowed values (LogRetentionDays).
	LambdaLogRetentionDays int `json:"lambda_log_retention_days"`
}

// Defaults returns the default configuration.
func Defaults() Config {
	return Config{
		Prefix:        "twinstack",
		Region:        "us-east-1",
		InstanceCount: 2,
		MinInstances:  1,
		MaxInstances:  4,
		InstanceType:  "t3.micro",

		ScaleRequestsPerInstance: 1000,
		LambdaMemoryMB:           256,
		LambdaTimeoutSec:         30,

		LambdaReservedConcurrency: 20,
		SSMAccess:                 true,
		NoncurrentVersionDays:     30,
		AllowedOriginPorts:        "80,443",
		LambdaLogRetentionDays:    30,
	}
}

// Limits on configuration values.
const (
	InstanceLimit = 10
	// MinScaleRequests and MaxScaleRequests bound the scaling target
	// (requests per minute per server).
	MinScaleRequests = 10
	MaxScaleRequests = 100000
	// MaxReservedConcurrency leaves AWS's required 100 unreserved
	// executions of an account's default quota of 1,000.
	MaxReservedConcurrency = 900
	// MinAdminCIDRBits is the widest admin network SSH may be opened to.
	MinAdminCIDRBits = 16
	MaxVersionDays   = 3650
)

// LogRetentionDays are the retention periods CloudWatch Logs accepts
// (PutRetentionPolicy's retentionInDays), in days.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// FieldError is a validation failure of one configuration field. Field is
// the JSON name of the setting.
type FieldError struct {
	Field  string
	Value  any
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.Field, e.Value, e.Reason)
}

var (
	prefixRE       = regexp.MustCompile(`^[a-z][a-z0-9-]{1,23}[a-z0-9]$`)
	regionRE       = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	instanceTypeRE = regexp.MustCompile(`^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)$`)
)

// Validate reports every invalid field, joined; nil when the config is valid.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, v any, reason string) {
		errs = append(errs, &FieldError{Field: field, Value: v, Reason: reason})
	}
	if !prefixRE.MatchString(c.Prefix) || strings.Contains(c.Prefix, "--") {
		bad("prefix", c.Prefix, "must be 3-25 lower-case letters, digits or single hyphens, start with a letter and not end with a hyphen (bucket names \"<prefix>-artifacts-<account>-<region>\" must fit in 63 characters)")
	} else if reason := reservedNameReason(c.Prefix, c.Region); reason != "" {
		bad("prefix", c.Prefix, reason)
	}
	if !regionRE.MatchString(c.Region) {
		bad("region", c.Region, "not an AWS region name such as us-east-1")
	}
	switch {
	case c.MinInstances < 1 || c.MinInstances > InstanceLimit:
		bad("min_instances", c.MinInstances, fmt.Sprintf("must be between 1 and %d", InstanceLimit))
	case c.MaxInstances < 2 || c.MaxInstances > InstanceLimit:
		bad("max_instances", c.MaxInstances, fmt.Sprintf("must be between 2 and %d", InstanceLimit))
	case c.InstanceCount < c.MinInstances || c.InstanceCount >= c.MaxInstances:
		bad("instance_count", c.InstanceCount, fmt.Sprintf("must be at least min_instances (%d) and below max_instances (%d): a rolling update launches a new server before it stops an old one", c.MinInstances, c.MaxInstances))
	}
	if c.ScaleRequestsPerInstance < MinScaleRequests || c.ScaleRequestsPerInstance > MaxScaleRequests {
		bad("scale_requests_per_instance", c.ScaleRequestsPerInstance, fmt.Sprintf("must be between %d and %d requests per minute", MinScaleRequests, MaxScaleRequests))
	}
	if _, err := Architecture(c.InstanceType); err != nil {
		bad("instance_type", c.InstanceType, err.Error())
	}
	if c.AdminCIDR != "" {
		p, err := netip.ParsePrefix(c.AdminCIDR)
		switch {
		case err != nil || !p.Addr().Is4():
			bad("admin_cidr", c.AdminCIDR, "not an IPv4 CIDR such as 203.0.113.7/32")
		case p.Bits() == 0:
			bad("admin_cidr", c.AdminCIDR, "must not open SSH to the whole internet")
		case p.Bits() < MinAdminCIDRBits:
			bad("admin_cidr", c.AdminCIDR, fmt.Sprintf("wider than /%d: name the admin network, not a slice of the internet", MinAdminCIDRBits))
		case p.Masked() != p:
			bad("admin_cidr", c.AdminCIDR, "host bits set; did you mean "+p.Masked().String()+"?")
		}
	}
	if c.LambdaMemoryMB < 128 || c.LambdaMemoryMB > 10240 {
		bad("lambda_memory_mb", c.LambdaMemoryMB, "must be between 128 and 10240")
	}
	if c.LambdaTimeoutSec < 1 || c.LambdaTimeoutSec > 900 {
		bad("lambda_timeout_seconds", c.LambdaTimeoutSec, "must be between 1 and 900")
	}
	if c.LambdaReservedConcurrency < 1 || c.LambdaReservedConcurrency > MaxReservedConcurrency {
		bad("lambda_reserved_concurrency", c.LambdaReservedConcurrency, fmt.Sprintf("must be between 1 and %d (0 would throttle every invocation)", MaxReservedConcurrency))
	}
	if c.NoncurrentVersionDays < 1 || c.NoncurrentVersionDays > MaxVersionDays {
		bad("noncurrent_version_days", c.NoncurrentVersionDays, fmt.Sprintf("must be between 1 and %d", MaxVersionDays))
	}
	if !slices.Contains(LogRetentionDays, c.LambdaLogRetentionDays) {
		bad("lambda_log_retention_days", c.LambdaLogRetentionDays, fmt.Sprintf("not a CloudWatch Logs retention: one of %s", strings.Trim(fmt.Sprint(LogRetentionDays), "[]")))
	}
	if _, err := ParsePorts(c.AllowedOriginPorts); err != nil {
		bad("allowed_origin_ports", c.AllowedOriginPorts, err.Error())
	}
	// Releasing and adopting are about the data destroy_data=false keeps.
	switch {
	case c.ReleaseData && c.DestroyData:
		bad("release_data", c.ReleaseData, "destroy_data=true deletes the bucket and tables on destroy: there is nothing to keep and release (drop one of the two)")
	case c.AdoptData && c.DestroyData:
		bad("adopt_data", c.AdoptData, "adopted data goes into a stack that keeps it (destroy_data=false); opt into destroy_data on a later deploy, once the import is done")
	case c.ReleaseData && c.AdoptData:
		bad("adopt_data", c.AdoptData, "release_data gives the data up in the same deploy: adopt on a later one")
	}
	return errors.Join(errs...)
}

// ParsePorts reads a comma-separated list of TCP ports ("80,443"): each
// 1-65535, none twice, at least one.
func ParsePorts(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no port: list at least one, e.g. 80,443")
	}
	var ports []int
	seen := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q is not a port between 1 and 65535", strings.TrimSpace(f))
		}
		if seen[p] {
			return nil, fmt.Errorf("port %d listed twice", p)
		}
		seen[p] = true
		ports = append(ports, p)
	}
	return ports, nil
}

// Architecture is the CPU architecture of an EC2 instance type: arm64 for
// Graviton families (a1, and any family whose attributes contain "g", such
// as t4g, m7gd, c7gn), x86_64 otherwise.
func Architecture(instanceType string) (string, error) {
	m := instanceTypeRE.FindStringSubmatch(instanceType)
	if m == nil {
		return "", errors.New("not an EC2 instance type such as t3.micro (family+generation, a dot, a size)")
	}
	family, attrs := m[1], m[3]
	if family == "a" || strings.Contains(attrs, "g") {
		return "arm64", nil
	}
	return "x86_64", nil
}

// burstableFamilies are the instance families with CPU credits that the
// model sets to standard (t3, t3a and t4g default to unlimited, which bills
// surplus credits).
var burstableFamilies = []string{"t2", "t3", "t3a", "t4g"}

// CPUCredits is the credit option the model gives instanceType: "standard"
// for the burstable families, "" otherwise.
func CPUCredits(instanceType string) string {
	family, _, _ := strings.Cut(instanceType, ".")
	if slices.Contains(burstableFamilies, family) {
		return "standard"
	}
	return ""
}
