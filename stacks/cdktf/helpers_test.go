package cdktf_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	stack "github.com/twinstack/twinstack/stacks/cdktf"
)

// cases are the folders under testdata: each holds the configuration
// (twinstack.json) and the golden synth output (want.tf.json).
var cases = []string{"count1", "count2", "count3", "s3", "s3-endpoint"}

// handoverCases are the folders of deploys that release or adopt the
// retained data (constructs.Handover): golden, deterministic and validated
// like cases, and checked by TestHandover instead of TestStack.
var handoverCases = []string{"release", "adopt"}

// allCases is every folder under testdata.
func allCases() []string { return append(slices.Clone(cases), handoverCases...) }

// requireTool returns the path of an external tool, skipping the test when
// it is missing unless TWINSTACK_REQUIRE_TOOLS=1 (CI), where it fails.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s not installed: %v", name, err)
	}
	return p
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// projectRoot is the module root (two levels up from this package).
func projectRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// fakeRoot is a project root holding small fake artifacts with fixed
// contents, so that asset hashes are stable.
func fakeRoot(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		constructs.ServerBinaryFile("x86_64"): "fake server linux/amd64\n",
		constructs.ServerBinaryFile("arm64"):  "fake server linux/arm64\n",
		constructs.LambdaZipPath:              "fake lambda zip\n",
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// noEnv is an empty environment: tests never read the real TWINSTACK_*.
func noEnv(string) string { return "" }

// loadCase loads testdata/<name>/twinstack.json and builds the model.
func loadCase(t testing.TB, name string) (config.Config, *constructs.System) {
	t.Helper()
	cfg, err := config.Load([]string{"-config", filepath.Join("testdata", name, "twinstack.json")}, noEnv)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		t.Fatalf("model %s: %v", name, err)
	}
	return cfg, sys
}

// synth renders the system into outdir and returns the stack directory and
// the bytes of cdk.tf.json.
func synth(t testing.TB, cfg config.Config, sys *constructs.System, root, outdir string) (string, []byte) {
	t.Helper()
	app := stack.NewApp(outdir)
	if _, err := stack.New(app, cfg, sys, stack.Options{Root: root}); err != nil {
		t.Fatalf("render: %v", err)
	}
	app.Synth()
	dir := filepath.Join(outdir, "stacks", cfg.StackName)
	b, err := os.ReadFile(filepath.Join(dir, "cdk.tf.json"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, b
}

// tfJSON is the part of a Terraform JSON configuration the tests read.
type tfJSON struct {
	Data      map[string]map[string]map[string]any `json:"data"`
	Resource  map[string]map[string]map[string]any `json:"resource"`
	Output    map[string]map[string]any            `json:"output"`
	Provider  map[string][]map[string]any          `json:"provider"`
	Terraform map[string]any                       `json:"terraform"`
}

func parse(t testing.TB, b []byte) *tfJSON {
	t.Helper()
	var tf tfJSON
	if err := json.Unmarshal(b, &tf); err != nil {
		t.Fatalf("parse cdk.tf.json: %v", err)
	}
	return &tf
}

// res returns resource typ.name without cdktf's "//" metadata; it fails the
// test when it is missing.
func (tf *tfJSON) res(t testing.TB, typ, name string) map[string]any {
	t.Helper()
	r, ok := tf.Resource[typ][name]
	if !ok {
		t.Fatalf("resource %s.%s missing", typ, name)
	}
	return strip(r)
}

func (tf *tfJSON) data(t testing.TB, typ, name string) map[string]any {
	t.Helper()
	r, ok := tf.Data[typ][name]
	if !ok {
		t.Fatalf("data %s.%s missing", typ, name)
	}
	return strip(r)
}

func strip(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "//" {
			out[k] = v
		}
	}
	return out
}

// names lists the resource names of one type.
func (tf *tfJSON) names(typ string) []string {
	var out []string
	for n := range tf.Resource[typ] {
		out = append(out, n)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// jsonValue converts a Go literal to what encoding/json decodes it to, so
// expectations can be written as Go values and compared with cmp.
func jsonValue(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// filteredEnv is the process environment without TWINSTACK_* settings.
func filteredEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, config.EnvPrefix+"_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}
