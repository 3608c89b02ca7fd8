package toolenv

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestShellCopy: scripts/bench-synth.sh times the bare CLIs from the shell
// and so repeats the settings; each one it sets must be one of Quiet's,
// with Quiet's value, and it must set all of them.
func TestShellCopy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "bench-synth.sh"))
	if err != nil {
		t.Fatal(err)
	}
	q := Quiet()
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\b([A-Z0-9_]*(?:JSII|CHECKPOINT|CDK|TELEMETRY)[A-Z0-9_]*)=(\S+)`).FindAllStringSubmatch(string(b), -1) {
		k, v := m[1], m[2]
		want, ok := q[k]
		if !ok {
			t.Errorf("bench-synth.sh sets %s, which Quiet does not define", k)
			continue
		}
		if v != want {
			t.Errorf("bench-synth.sh sets %s=%s, Quiet has %s", k, v, want)
		}
		seen[k] = true
	}
	for k := range q {
		if !seen[k] {
			t.Errorf("bench-synth.sh does not set %s", k)
		}
	}
}

func TestEnviron(t *testing.T) {
	env := Environ()
	if !slices.IsSorted(env) || len(env) != len(Quiet()) {
		t.Errorf("Environ() = %q: want Quiet's %d pairs, sorted", env, len(Quiet()))
	}
	if !slices.Contains(env, "CHECKPOINT_DISABLE=1") {
		t.Errorf("Environ() = %q lacks CHECKPOINT_DISABLE=1", env)
	}
}
