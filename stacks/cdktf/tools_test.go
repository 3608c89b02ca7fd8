package cdktf_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/twinstack/twinstack/internal/toolenv"
)

// terraformConfig finds the CLI configuration that installs hashicorp/aws
// from the offline mirror: $TF_CLI_CONFIG_FILE (make exports it), else the
// project's .terraformrc (`make tfrc`).
func terraformConfig(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TF_CLI_CONFIG_FILE"), filepath.Join(projectRoot(t), ".terraformrc")} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	missing(t, "no Terraform CLI configuration for the provider mirror: run `make tfrc`")
	return ""
}

func run(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out.Bytes())
	}
	t.Logf("%s %s: %v", filepath.Base(name), args[0], time.Since(start).Round(10*time.Millisecond))
	return out.Bytes()
}

// TestTerraformValidate runs the real terraform init (offline, provider
// mirror, no backend) and validate against the hashicorp/aws schema on
// every case.
func TestTerraformValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs terraform")
	}
	tf := requireTool(t, "terraform")
	rc := terraformConfig(t)
	env := filteredEnv(append(toolenv.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1")...)
	root := fakeRoot(t)
	for _, name := range allCases() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cfg, sys := loadCase(t, name)
			dir, _ := synth(t, cfg, sys, root, t.TempDir())
			run(t, ctx, dir, env, tf, "init", "-backend=false", "-input=false", "-no-color")
			out := run(t, ctx, dir, env, tf, "validate", "-json", "-no-color")
			var res struct {
				Valid        bool `json:"valid"`
				ErrorCount   int  `json:"error_count"`
				WarningCount int  `json:"warning_count"`
				Diagnostics  []struct {
					Severity, Summary, Detail string
				} `json:"diagnostics"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("validate output: %v\n%s", err, out)
			}
			if !res.Valid || res.ErrorCount > 0 || res.WarningCount > 0 {
				t.Errorf("terraform validate: valid=%v errors=%d warnings=%d: %+v", res.Valid, res.ErrorCount, res.WarningCount, res.Diagnostics)
			}
		})
	}
}

// TestCLISynth runs the official `cdktf synth` (the project's pinned
// cdktf-cli) with the project's cdktf.json in a scratch project whose
// build/ holds fake artifacts, and expects the same bytes as the in-process
// synth. The app is built once; only cdktf.json's "app" is changed to run
// it, so the scratch project reads its own build/ and not the checkout's.
func TestCLISynth(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs the cdktf CLI")
	}
	requireTool(t, "node")
	goTool := requireTool(t, "go")
	proj := projectRoot(t)
	cli := filepath.Join(proj, "node_modules", ".bin", "cdktf")
	if _, err := os.Stat(cli); err != nil {
		missing(t, "cdktf CLI not installed (run `npm ci`): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	scratch := fakeRoot(t)
	app := filepath.Join(t.TempDir(), "cdktf-app")
	run(t, ctx, proj, filteredEnv(), goTool, "build", "-o", app, "./app/cdktf")

	var cdktfJSON map[string]any
	b, err := os.ReadFile(filepath.Join(proj, "cdktf.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cdktfJSON); err != nil {
		t.Fatalf("cdktf.json: %v", err)
	}
	cdktfJSON["app"] = app
	b, err = json.MarshalIndent(cdktfJSON, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scratch, "cdktf.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	env := filteredEnv(append(toolenv.Environ(), "CI=true", "FORCE_COLOR=0")...)
	run(t, ctx, scratch, env, cli, "synth")

	got, err := os.ReadFile(filepath.Join(scratch, "cdktf.out", "stacks", "twinstack", "cdk.tf.json"))
	if err != nil {
		t.Fatalf("cdktf synth wrote no stack: %v", err)
	}
	cfg, sys := loadCase(t, "count2") // the defaults
	_, want := synth(t, cfg, sys, scratch, t.TempDir())
	if !bytes.Equal(want, got) {
		t.Errorf("cdktf synth output differs from the in-process synth")
	}
}
