package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/toolenv"
	stack "github.com/twinstack/twinstack/stacks/cdktf"
)

func noEnv(string) string { return "" }

// fakeRoot is a project root with small fake artifacts.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range []string{constructs.ServerBinaryFile("x86_64"), constructs.ServerBinaryFile("arm64"), constructs.LambdaZipPath} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("fake "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		root  func(t *testing.T) string
		check func(error) bool
	}{
		{"bad instance count", []string{"-instance-count", "0"}, fakeRoot,
			func(err error) bool {
				return apperr.CodeOf(err) == apperr.InvalidConfig && strings.Contains(err.Error(), "instance_count")
			}},
		{"bad cidr", []string{"-admin-cidr", "10.0.0.1/8"}, fakeRoot,
			func(err error) bool {
				return apperr.CodeOf(err) == apperr.InvalidConfig && strings.Contains(err.Error(), "admin_cidr")
			}},
		{"unknown flag", []string{"-nope"}, fakeRoot,
			func(err error) bool { return apperr.CodeOf(err) == apperr.InvalidConfig }},
		{"artifacts not built", nil, func(t *testing.T) string { return t.TempDir() },
			func(err error) bool { return errors.Is(err, stack.ErrMissingArtifact) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no twinstack.json is picked up
			err := run(tc.args, noEnv, tc.root(t))
			if err == nil || !tc.check(err) {
				t.Errorf("run(%q) = %v", tc.args, err)
			}
		})
	}
}

// TestMainProcess runs the built app as cdktf does: with CDKTF_OUTDIR set
// and the project root as working directory. A bad configuration gives one
// line on stderr and exit status 1.
func TestMainProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app")
	}
	bin := filepath.Join(t.TempDir(), "app")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TWINSTACK_") && !strings.HasPrefix(kv, "CDKTF_OUTDIR=") {
			env = append(env, kv)
		}
	}
	env = append(env, toolenv.Environ()...)

	t.Run("synth", func(t *testing.T) {
		root, out := fakeRoot(t), t.TempDir()
		cmd := exec.Command(bin, "-instance-count", "3", "-prefix", "demo")
		cmd.Dir, cmd.Env = root, append(env, "CDKTF_OUTDIR="+out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("app: %v\n%s", err, b)
		}
		if _, err := os.Stat(filepath.Join(out, "stacks", "demo", "cdk.tf.json")); err != nil {
			t.Error(err)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		cmd := exec.Command(bin, "-instance-count", "0", "-prefix", "X")
		cmd.Dir, cmd.Env = fakeRoot(t), env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("exit: %v, want status 1", err)
		}
		msg := stderr.String()
		if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "twinstack cdktf: ") ||
			!strings.Contains(msg, "prefix") || !strings.Contains(msg, "instance_count") {
			t.Errorf("stderr = %q, want one line naming prefix and instance_count", msg)
		}
	})
}
