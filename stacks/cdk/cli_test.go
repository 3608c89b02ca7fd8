package cdk

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/toolenv"
)

// TestCLISynth runs the official CLI the way a user does, `npx cdk synth`
// in the project root (cdk.json runs `go run ./app/cdk`), with no AWS
// credentials, and checks that it writes the same template as an
// in-process synth of the same configuration.
func TestCLISynth(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds and runs the app through the CDK CLI")
	}
	root := projectRoot(t)
	npx := requireTool(t, "npx")
	requireTool(t, "go")
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "cdk")); err != nil {
		missing(t, "the aws-cdk CLI (run make npm): %v", err)
	}
	cfgFile, err := filepath.Abs(filepath.Join("testdata", "count2", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, sys := loadCase(t, "count2")
	for _, a := range []string{sys.ServerBinary.Path, sys.FunctionCode.Path} {
		if _, err := os.Stat(filepath.Join(root, a)); err != nil {
			missing(t, "artifact %s (run make build): %v", a, err)
		}
	}

	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npx, "--no-install", "cdk", "synth", "--quiet", "--output", out)
	cmd.Dir = root
	cmd.Env = cliEnv(os.Environ(), "TWINSTACK_CONFIG="+cfgFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("npx cdk synth: %v\n%s", err, stderr.String())
	}
	t.Logf("npx cdk synth took %s", time.Since(start).Round(time.Millisecond))

	got, err := os.ReadFile(filepath.Join(out, cfg.StackName+".template.json"))
	if err != nil {
		t.Fatalf("CLI wrote no %s.template.json: %v", cfg.StackName, err)
	}
	want := synth(t, cfg, sys, root).raw
	if !bytes.Equal(want, got) {
		t.Errorf("CLI template differs from the in-process synth (-in-process +CLI):\n%s", cmp.Diff(string(want), string(got)))
	}
}

// cliEnv is env without AWS credentials or twinstack settings, so the CLI
// synthesizes offline from the given settings only.
func cliEnv(env []string, extra ...string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "TWINSTACK_") || strings.HasPrefix(kv, "CDK_") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, extra...)
	out = append(out,
		"AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_CONFIG_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return append(out, toolenv.Environ()...)
}

// missing skips for a missing prerequisite, or fails under
// TWINSTACK_REQUIRE_TOOLS=1.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
		t.Fatalf("missing "+format, args...)
	}
	t.Skipf("missing "+format, args...)
}
