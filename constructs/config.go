package constructs

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Config is what a user chooses about the system. The zero value is not
// valid; start from Defaults.
type Config struct {
	// Prefix names every resource ("twinstack" -> "twinstack-images"). It
	// must be valid inside an S3 bucket name: 3-25 lower-case letters,
	// digits and hyphens, starting with a letter, not ending with a hyphen.
	Prefix        string `json:"prefix"`
	Region        string `json:"region"`
	InstanceCount int    `json:"instance_count"`
	InstanceType  string `json:"instance_type"`
	// AdminCIDR, when set, opens SSH (22) to the servers from this IPv4
	// CIDR alone.
	AdminCIDR        string `json:"admin_cidr"`
	LambdaMemoryMB   int    `json:"lambda_memory_mb"`
	LambdaTimeoutSec int    `json:"lambda_timeout_seconds"`
	// DestroyData opts into emptying and deleting the bucket and tables on
	// destroy. The default keeps them.
	DestroyData bool `json:"destroy_data"`
}

// Defaults returns the default configuration.
func Defaults() Config {
	return Config{
		Prefix:           "twinstack",
		Region:           "us-east-1",
		InstanceCount:    2,
		InstanceType:     "t3.micro",
		LambdaMemoryMB:   256,
		LambdaTimeoutSec: 30,
	}
}

// Limits on configuration values.
const (
	MaxInstances = 10
)

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
	}
	if !regionRE.MatchString(c.Region) {
		bad("region", c.Region, "not an AWS region name such as us-east-1")
	}
	if c.InstanceCount < 1 || c.InstanceCount > MaxInstances {
		bad("instance_count", c.InstanceCount, fmt.Sprintf("must be between 1 and %d", MaxInstances))
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
	return errors.Join(errs...)
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
