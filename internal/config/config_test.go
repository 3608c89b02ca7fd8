package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "twinstack.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, `{"prefix":"fromfile","instance_count":3,"region":"eu-west-1","destroy_data":true}`)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config)
	}{
		{"defaults", nil, nil, func(c *Config) {}},
		{"file", []string{"-config", file}, nil, func(c *Config) {
			c.System.Prefix, c.System.InstanceCount, c.System.Region, c.System.DestroyData = "fromfile", 3, "eu-west-1", true
			c.StackName = "fromfile"
		}},
		{"env over file", []string{"-config", file}, map[string]string{"TWINSTACK_INSTANCE_COUNT": "1", "TWINSTACK_ENDPOINT": "http://localhost:5000"}, func(c *Config) {
			c.System.Prefix, c.System.InstanceCount, c.System.Region, c.System.DestroyData = "fromfile", 1, "eu-west-1", true
			c.StackName, c.Endpoint = "fromfile", "http://localhost:5000"
		}},
		{"file from env", nil, map[string]string{"TWINSTACK_CONFIG": file, "TWINSTACK_PREFIX": "envp"}, func(c *Config) {
			c.System.Prefix, c.System.InstanceCount, c.System.Region, c.System.DestroyData = "envp", 3, "eu-west-1", true
			c.StackName = "envp"
		}},
		{"flags over env", []string{"-instance-count", "2", "-stack-name", "custom"}, map[string]string{"TWINSTACK_INSTANCE_COUNT": "5"}, func(c *Config) {
			c.StackName = "custom"
		}},
		{"hardening settings from the environment", nil, map[string]string{
			"TWINSTACK_LAMBDA_RESERVED_CONCURRENCY": "50", "TWINSTACK_SSM_ACCESS": "false",
			"TWINSTACK_NONCURRENT_VERSION_DAYS": "7", "TWINSTACK_ALLOWED_ORIGIN_PORTS": "443",
		}, func(c *Config) {
			c.System.LambdaReservedConcurrency, c.System.SSMAccess = 50, false
			c.System.NoncurrentVersionDays, c.System.AllowedOriginPorts = 7, "443"
		}},
		// The handover settings as the README's steps set them.
		{"release from the environment", nil, map[string]string{"TWINSTACK_RELEASE_DATA": "true"}, func(c *Config) {
			c.System.ReleaseData = true
		}},
		{"adopt from the file", []string{"-config", writeFile(t, `{"adopt_data":true}`)}, nil, func(c *Config) {
			c.System.AdoptData = true
		}},
		{"adopt flag", []string{"-adopt-data"}, nil, func(c *Config) { c.System.AdoptData = true }},
		{"hardening settings from the file", []string{"-config", writeFile(t, `{"lambda_reserved_concurrency":5,"ssm_access":false,"noncurrent_version_days":90,"allowed_origin_ports":"80,443,8443"}`)}, nil, func(c *Config) {
			c.System.LambdaReservedConcurrency, c.System.SSMAccess = 5, false
			c.System.NoncurrentVersionDays, c.System.AllowedOriginPorts = 90, "80,443,8443"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := Config{System: constructs.Defaults(), StackName: "twinstack", TFState: constructs.TerraformState{Backend: constructs.StateLocal}}
			tc.want(&want)
			got, err := Load(tc.args, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		mention string
	}{
		{"invalid count env", nil, map[string]string{"TWINSTACK_INSTANCE_COUNT": "many"}, "TWINSTACK_INSTANCE_COUNT"},
		{"count zero", []string{"-instance-count", "0"}, nil, "instance_count"},
		{"bad cidr", nil, map[string]string{"TWINSTACK_ADMIN_CIDR": "nope"}, "admin_cidr"},
		{"half the internet", nil, map[string]string{"TWINSTACK_ADMIN_CIDR": "0.0.0.0/1"}, "admin_cidr"},
		{"reserved concurrency zero", nil, map[string]string{"TWINSTACK_LAMBDA_RESERVED_CONCURRENCY": "0"}, "lambda_reserved_concurrency"},
		{"ssm access not a bool", nil, map[string]string{"TWINSTACK_SSM_ACCESS": "maybe"}, "TWINSTACK_SSM_ACCESS"},
		{"noncurrent days zero", nil, map[string]string{"TWINSTACK_NONCURRENT_VERSION_DAYS": "0"}, "noncurrent_version_days"},
		{"bad origin ports", nil, map[string]string{"TWINSTACK_ALLOWED_ORIGIN_PORTS": "80,http"}, "allowed_origin_ports"},
		{"release with destroy_data", []string{"-destroy-data", "-release-data"}, nil, "release_data"},
		{"adopt with destroy_data", nil, map[string]string{"TWINSTACK_DESTROY_DATA": "true", "TWINSTACK_ADOPT_DATA": "true"}, "adopt_data"},
		{"bad endpoint", []string{"-endpoint", "localhost:5000"}, nil, "endpoint"},
		{"unknown flag", []string{"-nope"}, nil, "nope"},
		{"missing file", []string{"-config", "/does/not/exist.json"}, nil, "exist.json"},
		{"unknown file key", []string{"-config", writeFile(t, `{"instances":2}`)}, nil, "instances"},
		{"truncated file", []string{"-config", writeFile(t, `{"prefix":`)}, nil, "config file"},
		{"bad file type", []string{"-config", writeFile(t, `{"prefix":["a"]}`)}, nil, "prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if apperr.CodeOf(err) != apperr.InvalidConfig {
				t.Errorf("code = %s, want %s", apperr.CodeOf(err), apperr.InvalidConfig)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("", "max-image-bytes"); got != "MAX_IMAGE_BYTES" {
		t.Errorf("EnvName = %s", got)
	}
	if got := EnvName(EnvPrefix, "instance-count"); got != "TWINSTACK_INSTANCE_COUNT" {
		t.Errorf("EnvName = %s", got)
	}
}
