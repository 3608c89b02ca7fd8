package diff_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/twinstack/twinstack/internal/diff"
)

var update = flag.Bool("update", false, "rewrite testdata (synth fixtures, golden reports)")

// cases are the synth fixtures under testdata/synth: both apps synthesized
// from the same configuration (config.json).
var cases = []string{"count1", "count2", "count3"}

// fixture returns the Terraform and CloudFormation outputs of a case.
func fixture(t testing.TB, name string) (tf, cf diff.Input) {
	t.Helper()
	dir := filepath.Join("testdata", "synth", name)
	read := func(file string) diff.Input {
		p := filepath.Join(dir, file)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (go test ./internal/diff -run TestSynthFixtures -update writes it)", err)
		}
		return diff.Input{Path: p, Data: b}
	}
	return read("cdk.tf.json"), read("template.json")
}

// requireTool skips the test when an external program is missing, unless
// TWINSTACK_REQUIRE_TOOLS=1 (CI) makes that a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not found: %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return p
}

// moduleRoot is the repository root (two levels up from internal/diff).
func moduleRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	return root
}
