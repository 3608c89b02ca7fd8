package localcloud

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/state"
)

// Prefixes of the two local deployments.
var Prefixes = map[string]string{state.Terraform: "ts-tf", state.CloudFormation: "ts-cfn"}

// DeploymentEnv is the TWINSTACK_* configuration of one local deployment:
// its own prefix (and so stack name), the local endpoint, the instance
// count, and destroy-data so that `down` leaves nothing behind.
func DeploymentEnv(name, endpoint string, instances int) map[string]string {
	m := map[string]string{
		config.EnvName(config.EnvPrefix, "prefix"):         Prefixes[name],
		config.EnvName(config.EnvPrefix, "endpoint"):       endpoint,
		config.EnvName(config.EnvPrefix, "instance-count"): strconv.Itoa(instances),
		config.EnvName(config.EnvPrefix, "destroy-data"):   "true",
	}
	if name == state.Terraform {
		// Remote state on the emulator, as a team keeps it (tfstate.go).
		m[config.EnvName(config.EnvPrefix, "tf-state")] = constructs.StateS3
		m[config.EnvName(config.EnvPrefix, "tf-state-bucket")] = StateBucket
	}
	return m
}

// Overlay returns a getenv that answers from m first, then from base.
func Overlay(m map[string]string, base func(string) string) func(string) string {
	return func(k string) string {
		if v, ok := m[k]; ok {
			return v
		}
		if base == nil {
			return ""
		}
		return base(k)
	}
}

// Environ renders m as KEY=VALUE pairs appended to base, sorted, later
// keys replacing earlier ones.
func Environ(base []string, m map[string]string) []string {
	out := make([]string, 0, len(base)+len(m))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := m[k]; !ok {
			out = append(out, kv)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+m[k])
	}
	return out
}

// IsMoto reports whether endpoint is a moto server (it answers its
// /moto-api/config).
func IsMoto(ctx context.Context, endpoint string) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(endpoint, "/")+"/moto-api/config", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode/100 == 2
}

// MotoVersion asks the Python that runs moto_server for moto's version: the
// interpreter named on moto_server's first line, or python3 (pyenv shims).
// Empty when it cannot tell.
func MotoVersion(ctx context.Context) string {
	const code = "import moto; print(moto.__version__)"
	var tries [][]string
	if p, err := exec.LookPath("moto_server"); err == nil {
		if b, err := readHead(p); err == nil && strings.HasPrefix(b, "#!") {
			f := strings.Fields(strings.TrimPrefix(b, "#!"))
			if len(f) > 0 && !strings.HasSuffix(f[0], "bash") && !strings.HasSuffix(f[0], "sh") {
				tries = append(tries, append(f, "-c", code))
			}
		}
	}
	tries = append(tries, []string{"python3", "-c", code}, []string{"python", "-c", code})
	for _, t := range tries {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, err := exec.CommandContext(ctx, t[0], t[1:]...).Output()
		cancel()
		if v := strings.TrimSpace(string(out)); err == nil && v != "" {
			return v
		}
	}
	return ""
}
