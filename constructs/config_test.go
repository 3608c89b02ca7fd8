package constructs

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaults(t *testing.T) {
	want := Config{Prefix: "twinstack", Region: "us-east-1", InstanceCount: 2, MinInstances: 1, MaxInstances: 4, ScaleRequestsPerInstance: 1000, InstanceType: "t3.micro", LambdaMemoryMB: 256, LambdaTimeoutSec: 30,
		LambdaReservedConcurrency: 20, SSMAccess: true, NoncurrentVersionDays: 30, AllowedOriginPorts: "80,443", LambdaLogRetentionDays: 30}
	if diff := cmp.Diff(want, Defaults()); diff != "" {
		t.Errorf("Defaults() (-want +got):\n%s", diff)
	}
	if err := Defaults().Validate(); err != nil {
		t.Errorf("Defaults().Validate() = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		field  string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"count zero", func(c *Config) { c.InstanceCount = 0 }, "instance_count"},
		{"count negative", func(c *Config) { c.InstanceCount = -1 }, "instance_count"},
		{"count too many", func(c *Config) { c.InstanceCount = InstanceLimit + 1 }, "instance_count"},
		{"count one", func(c *Config) { c.InstanceCount = 1 }, ""},
		{"count at max leaves no room to roll", func(c *Config) { c.InstanceCount = 4 }, "instance_count"},
		{"count below min", func(c *Config) { c.MinInstances, c.InstanceCount = 2, 1 }, "instance_count"},
		{"min zero", func(c *Config) { c.MinInstances = 0 }, "min_instances"},
		{"max beyond limit", func(c *Config) { c.MaxInstances = InstanceLimit + 1 }, "max_instances"},
		{"max one", func(c *Config) { c.MaxInstances, c.InstanceCount = 1, 1 }, "max_instances"},
		{"count nine of ten", func(c *Config) { c.InstanceCount, c.MaxInstances = 9, InstanceLimit }, ""},
		{"scale target zero", func(c *Config) { c.ScaleRequestsPerInstance = 0 }, "scale_requests_per_instance"},
		{"bad cidr", func(c *Config) { c.AdminCIDR = "10.0.0.300/32" }, "admin_cidr"},
		{"cidr without mask", func(c *Config) { c.AdminCIDR = "203.0.113.7" }, "admin_cidr"},
		{"cidr whole internet", func(c *Config) { c.AdminCIDR = "0.0.0.0/0" }, "admin_cidr"},
		{"cidr host bits", func(c *Config) { c.AdminCIDR = "203.0.113.7/24" }, "admin_cidr"},
		{"cidr ipv6", func(c *Config) { c.AdminCIDR = "2001:db8::/32" }, "admin_cidr"},
		{"good cidr", func(c *Config) { c.AdminCIDR = "203.0.113.7/32" }, ""},
		// Half the internet was accepted before /16 became the limit.
		{"cidr half the internet", func(c *Config) { c.AdminCIDR = "0.0.0.0/1" }, "admin_cidr"},
		{"cidr /15", func(c *Config) { c.AdminCIDR = "10.0.0.0/15" }, "admin_cidr"},
		{"cidr /16", func(c *Config) { c.AdminCIDR = "10.1.0.0/16" }, ""},
		{"reserved concurrency zero", func(c *Config) { c.LambdaReservedConcurrency = 0 }, "lambda_reserved_concurrency"},
		{"reserved concurrency too many", func(c *Config) { c.LambdaReservedConcurrency = MaxReservedConcurrency + 1 }, "lambda_reserved_concurrency"},
		{"reserved concurrency one", func(c *Config) { c.LambdaReservedConcurrency = 1 }, ""},
		{"noncurrent days zero", func(c *Config) { c.NoncurrentVersionDays = 0 }, "noncurrent_version_days"},
		{"noncurrent days too many", func(c *Config) { c.NoncurrentVersionDays = MaxVersionDays + 1 }, "noncurrent_version_days"},
		{"ports empty", func(c *Config) { c.AllowedOriginPorts = "" }, "allowed_origin_ports"},
		{"ports zero", func(c *Config) { c.AllowedOriginPorts = "0,443" }, "allowed_origin_ports"},
		{"ports too high", func(c *Config) { c.AllowedOriginPorts = "80,65536" }, "allowed_origin_ports"},
		{"ports twice", func(c *Config) { c.AllowedOriginPorts = "443,443" }, "allowed_origin_ports"},
		{"ports word", func(c *Config) { c.AllowedOriginPorts = "http" }, "allowed_origin_ports"},
		{"ports one", func(c *Config) { c.AllowedOriginPorts = "8443" }, ""},
		{"ssm off", func(c *Config) { c.SSMAccess = false }, ""},
		{"instance type no size", func(c *Config) { c.InstanceType = "t3" }, "instance_type"},
		{"instance type upper", func(c *Config) { c.InstanceType = "T3.micro" }, "instance_type"},
		{"instance type graviton", func(c *Config) { c.InstanceType = "t4g.small" }, ""},
		{"prefix upper", func(c *Config) { c.Prefix = "Twin" }, "prefix"},
		{"prefix underscore", func(c *Config) { c.Prefix = "twin_stack" }, "prefix"},
		{"prefix short", func(c *Config) { c.Prefix = "ab" }, "prefix"},
		{"prefix long", func(c *Config) { c.Prefix = strings.Repeat("a", 26) }, "prefix"},
		{"prefix longest", func(c *Config) { c.Prefix = strings.Repeat("a", 25) }, ""},
		{"prefix trailing hyphen", func(c *Config) { c.Prefix = "twin-" }, "prefix"},
		{"prefix double hyphen", func(c *Config) { c.Prefix = "twin--stack" }, "prefix"},
		{"prefix digit first", func(c *Config) { c.Prefix = "1twin" }, "prefix"},
		// Names AWS refuses for what is built from the prefix.
		{"prefix sthree bucket", func(c *Config) { c.Prefix = "sthree" }, "prefix"},
		{"prefix sthree- bucket", func(c *Config) { c.Prefix = "sthree-x" }, "prefix"},
		{"prefix amzn-s3-demo bucket", func(c *Config) { c.Prefix = "amzn-s3-demo" }, "prefix"},
		{"prefix xn-- bucket", func(c *Config) { c.Prefix = "xn--abc" }, "prefix"},
		{"prefix sg- group", func(c *Config) { c.Prefix = "sg-twin" }, "prefix"},
		{"prefix internal load balancer", func(c *Config) { c.Prefix = "internal" }, "prefix"},
		{"prefix internal- load balancer", func(c *Config) { c.Prefix = "internal-api" }, "prefix"},
		{"prefix sthreex", func(c *Config) { c.Prefix = "sthreex" }, ""},
		{"prefix sgx", func(c *Config) { c.Prefix = "sgx" }, ""},
		{"prefix internals", func(c *Config) { c.Prefix = "internals" }, ""},
		{"region", func(c *Config) { c.Region = "mars-1" }, "region"},
		{"lambda memory", func(c *Config) { c.LambdaMemoryMB = 64 }, "lambda_memory_mb"},
		{"log retention zero", func(c *Config) { c.LambdaLogRetentionDays = 0 }, "lambda_log_retention_days"},
		{"log retention not allowed", func(c *Config) { c.LambdaLogRetentionDays = 10 }, "lambda_log_retention_days"},
		{"log retention ten years", func(c *Config) { c.LambdaLogRetentionDays = 3653 }, ""},
		{"log retention one day", func(c *Config) { c.LambdaLogRetentionDays = 1 }, ""},
		{"lambda timeout", func(c *Config) { c.LambdaTimeoutSec = 901 }, "lambda_timeout_seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			tc.modify(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError for %s", err, tc.field)
			}
			if fe.Field != tc.field {
				t.Errorf("field = %q, want %q (err %v)", fe.Field, tc.field, err)
			}
			if _, err := New(c); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	c := Config{}
	err := c.Validate()
	for _, f := range []string{"prefix", "region", "min_instances", "scale_requests_per_instance", "instance_type", "lambda_memory_mb", "lambda_timeout_seconds",
		"lambda_reserved_concurrency", "noncurrent_version_days", "allowed_origin_ports", "lambda_log_retention_days"} {
		if !strings.Contains(err.Error(), f+":") {
			t.Errorf("error %q does not name %s", err, f)
		}
	}
}

func TestArchitecture(t *testing.T) {
	for typ, want := range map[string]string{
		"t3.micro": "x86_64", "t3a.small": "x86_64", "m6i.large": "x86_64", "c5n.xlarge": "x86_64",
		"t4g.micro": "arm64", "m7gd.large": "arm64", "c7gn.medium": "arm64", "a1.medium": "arm64", "r8g.2xlarge": "arm64",
	} {
		got, err := Architecture(typ)
		if err != nil || got != want {
			t.Errorf("Architecture(%q) = %q, %v; want %q", typ, got, err, want)
		}
	}
}

func TestCPUCredits(t *testing.T) {
	for typ, want := range map[string]string{
		"t2.micro": "standard", "t3.micro": "standard", "t3a.small": "standard", "t4g.small": "standard",
		"m6i.large": "", "c7g.medium": "", "t3.2xlarge": "standard", "m5.large": "",
	} {
		if got := CPUCredits(typ); got != want {
			t.Errorf("CPUCredits(%q) = %q, want %q", typ, got, want)
		}
	}
}
