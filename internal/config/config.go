// Package config is the one place where twinstack's stack settings are
// resolved: defaults < JSON file < TWINSTACK_* environment < flags. Both apps
// (app/cdktf, app/cdk) and the CLI load it the same way, so the two
// toolchains always describe the same system. Other packages receive the
// resolved values; none of them reads the environment.
package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
)

// EnvPrefix prefixes every environment variable: TWINSTACK_INSTANCE_COUNT
// sets -instance-count.
const EnvPrefix = "TWINSTACK"

// DefaultFile is read when present and no -config is given.
const DefaultFile = "twinstack.json"

// Config is the resolved stack configuration.
type Config struct {
	System constructs.Config
	// Endpoint, when set, is a local AWS endpoint (moto) the providers
	// point at: the "local" switch. Empty for a real AWS account.
	Endpoint string
	// StackName names the CloudFormation stack and the CDKTF stack. It
	// defaults to the prefix so that deployments with distinct prefixes
	// live side by side.
	StackName string

	// TFState is where the Terraform deployment keeps its state (local
	// file, or an S3 object with native locking).
	TFState constructs.TerraformState
}

// Local reports whether the stacks target a local AWS endpoint.
func (c Config) Local() bool { return c.Endpoint != "" }

// Load resolves the configuration from args (flags), getenv and the JSON
// file named by -config / TWINSTACK_CONFIG (default twinstack.json when it
// exists). Errors are *apperr.Error with code InvalidConfig naming the
// setting.
func Load(args []string, getenv func(string) string) (Config, error) {
	const op = "config.Load"
	d := constructs.Defaults()
	fs := flag.NewFlagSet("twinstack", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c Config
	sc := &c.System
	fs.StringVar(&sc.Prefix, "prefix", d.Prefix, "name prefix of every resource")
	fs.StringVar(&sc.Region, "region", d.Region, "AWS region")
	fs.IntVar(&sc.InstanceCount, "instance-count", d.InstanceCount, "desired number of EC2 servers in the Auto Scaling group")
	fs.IntVar(&sc.MinInstances, "min-instances", d.MinInstances, "fewest servers the scaling policy may leave")
	fs.IntVar(&sc.MaxInstances, "max-instances", d.MaxInstances, "most servers the scaling policy or a rolling update may run (above instance-count)")
	fs.IntVar(&sc.ScaleRequestsPerInstance, "scale-requests-per-instance", d.ScaleRequestsPerInstance, "scaling target: requests per minute per server through the load balancer")
	fs.StringVar(&sc.InstanceType, "instance-type", d.InstanceType, "EC2 instance type")
	fs.StringVar(&sc.AdminCIDR, "admin-cidr", d.AdminCIDR, "IPv4 CIDR allowed to SSH to the servers (empty: no SSH)")
	fs.IntVar(&sc.LambdaMemoryMB, "lambda-memory-mb", d.LambdaMemoryMB, "Lambda memory in MB")
	fs.IntVar(&sc.LambdaTimeoutSec, "lambda-timeout-seconds", d.LambdaTimeoutSec, "Lambda timeout in seconds")
	fs.BoolVar(&sc.DestroyData, "destroy-data", d.DestroyData, "empty and delete the bucket and tables on destroy")
	fs.BoolVar(&sc.ReleaseData, "release-data", d.ReleaseData, "Terraform: this deploy gives the kept bucket and tables up without deleting them (removed blocks), so that a destroy then removes the rest")
	fs.BoolVar(&sc.AdoptData, "adopt-data", d.AdoptData, "Terraform: this deploy imports a kept bucket and tables of the same names (import blocks)")
	fs.IntVar(&sc.LambdaReservedConcurrency, "lambda-reserved-concurrency", d.LambdaReservedConcurrency, "concurrent executions reserved for (and capping) the Lambda")
	fs.BoolVar(&sc.SSMAccess, "ssm-access", d.SSMAccess, "grant the instances the SSM agent's actions (Session Manager)")
	fs.IntVar(&sc.NoncurrentVersionDays, "noncurrent-version-days", d.NoncurrentVersionDays, "days a replaced image version is kept before the lifecycle rule expires it")
	fs.StringVar(&sc.AllowedOriginPorts, "allowed-origin-ports", d.AllowedOriginPorts, "comma-separated destination ports the servers may fetch images from")
	fs.IntVar(&sc.LambdaLogRetentionDays, "lambda-log-retention-days", d.LambdaLogRetentionDays, "days the Lambda's log group keeps events (a CloudWatch Logs retention)")
	fs.StringVar(&c.Endpoint, "endpoint", "", "local AWS endpoint URL (moto); empty for real AWS")
	fs.StringVar(&c.StackName, "stack-name", "", "stack name (default: the prefix)")
	tfState := tfStateFlags(fs)
	configFile := fs.String("config", "", "JSON configuration file (default "+DefaultFile+" when present)")

	if getenv == nil {
		return Config{}, apperr.Errorf(apperr.InvalidConfig, op, "no environment given")
	}
	path := getenv(EnvPrefix + "_CONFIG")
	if path == "" {
		if _, err := os.Stat(DefaultFile); err == nil {
			path = DefaultFile
		}
	}
	if v, ok := flagValue(args, "config"); ok {
		path = v
	}
	*configFile = path
	if path != "" {
		if err := readFile(fs, path); err != nil {
			return Config{}, apperr.E(apperr.InvalidConfig, op, err)
		}
	}
	if err := Parse(fs, args, EnvPrefix, getenv); err != nil {
		return Config{}, apperr.E(apperr.InvalidConfig, op, err)
	}
	if c.StackName == "" {
		c.StackName = sc.Prefix
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, apperr.E(apperr.InvalidConfig, op, &constructs.FieldError{Field: "endpoint", Value: c.Endpoint, Reason: "not an http(s) URL"})
		}
	}
	if err := sc.Validate(); err != nil {
		return Config{}, apperr.E(apperr.InvalidConfig, op, err)
	}
	ts, err := constructs.NewTerraformState(*tfState, c.StackName, sc.Region)
	if err != nil {
		return Config{}, apperr.E(apperr.InvalidConfig, op, err)
	}
	c.TFState = ts
	return c, nil
}

// readFile applies a JSON object whose keys are flag names or their
// snake_case forms ("instance_count") to fs.
func readFile(fs *flag.FlagSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	return applyJSON(fs, f)
}

func applyJSON(fs *flag.FlagSet, r io.Reader) error {
	var m map[string]any
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.ReplaceAll(k, "_", "-")
		if fs.Lookup(name) == nil || name == "config" {
			return fmt.Errorf("config file: unknown setting %q", k)
		}
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case json.Number:
			v = x.String()
		case bool:
			v = strconv.FormatBool(x)
		default:
			return fmt.Errorf("config file: %s: want a string, number or boolean", k)
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("config file: %s: %w", k, err)
		}
	}
	return nil
}

// Parse sets every flag of fs from the environment variable named after it
// (prefix + "_" + NAME with dashes as underscores; no prefix: NAME alone, as
// in PORT) when that variable is non-empty, then parses args, which win.
// Errors name the variable or flag that was wrong.
func Parse(fs *flag.FlagSet, args []string, prefix string, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil {
			return
		}
		name := EnvName(prefix, f.Name)
		if v := getenv(name); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	if err != nil {
		return err
	}
	fs.SetOutput(io.Discard)
	return fs.Parse(args)
}

// EnvName is the environment variable behind flag name.
func EnvName(prefix, name string) string {
	n := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if prefix == "" {
		return n
	}
	return prefix + "_" + n
}

func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == "--" {
			break
		}
		a = strings.TrimLeft(a, "-")
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// tfStateFlags declares the Terraform state settings (tf_state,
// tf_state_bucket, tf_state_key, tf_state_region; TWINSTACK_TF_STATE, ...).
func tfStateFlags(fs *flag.FlagSet) *constructs.StateConfig {
	var s constructs.StateConfig
	fs.StringVar(&s.Backend, "tf-state", constructs.StateLocal, "where Terraform keeps its state: local or s3")
	fs.StringVar(&s.Bucket, "tf-state-bucket", "", "S3 bucket of the Terraform state (tf-state=s3; see `twinstack state bootstrap`)")
	fs.StringVar(&s.Key, "tf-state-key", "", "S3 key of the Terraform state (default <stack>/terraform.tfstate)")
	fs.StringVar(&s.Region, "tf-state-region", "", "region of the state bucket (default the stack's region)")
	return &s
}
