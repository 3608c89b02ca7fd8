package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// Toolchain synthesizes, deploys and destroys one deployment. The real ones
// run the project's pinned CLIs (npx cdktf, npx cdk); tests may supply
// their own.
type Toolchain interface {
	// Synth writes the deployment's template and returns its path.
	Synth(ctx context.Context) (template string, err error)
	Deploy(ctx context.Context) error
	Destroy(ctx context.Context) error
	// Outputs are the stack outputs as deployed (may be empty).
	Outputs(ctx context.Context) (map[string]string, error)

	// The hooks: the toolchain's own steps around the generic ones. A
	// toolchain without any embeds NoHooks.

	// Prepare runs after synth, before the deploy is recorded as started
	// (the AWS CDK bootstraps itself into the emulator).
	Prepare(ctx context.Context, h Hooks) error
	// BeforeDeploy runs just before Deploy and counts as deploy time
	// (Terraform's emulator workaround for the artifact upload).
	BeforeDeploy(ctx context.Context, h Hooks) error
	// Recover is called with the error of a failed Deploy: it returns nil
	// when a workaround made the deploy succeed, or an error.
	Recover(ctx context.Context, h Hooks, deployErr error) error
	// UseRemoteState points the toolchain at its remote Terraform state,
	// read through read, and reports whether it keeps its state there
	// (only the real Terraform toolchain does; then local up reads the
	// state back after the deploy).
	UseRemoteState(read func(context.Context) ([]byte, error)) (bool, error)
}

// Hooks is what a toolchain's own steps may use of the run.
type Hooks struct {
	// Step runs one labelled step of the progress output.
	Step func(label string, fn func() (string, error)) error
	// Note prints a line under the current step.
	Note func(format string, args ...any)
	// S3 is the emulator's S3 API.
	S3  verify.S3API
	Sys *constructs.System
	// Dir is the local cloud's directory (.twinstack).
	Dir string
}

// NoHooks gives a toolchain no steps of its own: embed it.
type NoHooks struct{}

func (NoHooks) Prepare(context.Context, Hooks) error                               { return nil }
func (NoHooks) BeforeDeploy(context.Context, Hooks) error                          { return nil }
func (NoHooks) Recover(_ context.Context, _ Hooks, deployErr error) error          { return deployErr }
func (NoHooks) UseRemoteState(func(context.Context) ([]byte, error)) (bool, error) { return false, nil }

// cli runs one CLI command in the project root with its output appended to
// a log file; the error carries the log's last lines.
type cli struct {
	root string
	env  []string
	log  string
}

// ErrCommand reports a CLI that exited non-zero.
var ErrCommand = errors.New("command failed")

func (c cli) run(ctx context.Context, dir string, name string, args ...string) error {
	if err := os.MkdirAll(filepath.Dir(c.log), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "\n$ %s %s\n", name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if cmd.Dir == "" {
		cmd.Dir = c.root
	}
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that a cancelled context ends the CLI and
	// what it started (terraform, the synth app) together.
	setGroup(cmd)
	err = cmd.Run()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %v: %s (log: %s)", filepath.Base(name), args[0], ErrCommand, err, proc.LogTail(c.log, 4), c.log)
	}
	return nil
}

// npx runs a CLI installed in the project's node_modules/.bin.
func (c cli) npx(ctx context.Context, tool string, args ...string) error {
	bin := filepath.Join(c.root, "node_modules", ".bin", tool)
	return c.run(ctx, "", bin, args...)
}

// cdktfToolchain deploys with `cdktf` (Terraform).
type cdktfToolchain struct {
	cli
	NoHooks
	out   string // --output directory
	stack string
	state string // the stack's Terraform state file (local backend)
	// readState reads the state from a remote backend; nil: the file.
	readState func(ctx context.Context) ([]byte, error)
}

func (t *cdktfToolchain) stackDir() string { return filepath.Join(t.out, "stacks", t.stack) }

func (t *cdktfToolchain) Synth(ctx context.Context) (string, error) {
	if err := os.MkdirAll(t.out, 0o755); err != nil {
		return "", err
	}
	if err := t.npx(ctx, "cdktf", "synth", "--output", t.out); err != nil {
		return "", err
	}
	return filepath.Join(t.stackDir(), "cdk.tf.json"), nil
}

func (t *cdktfToolchain) Deploy(ctx context.Context) error {
	return t.npx(ctx, "cdktf", "deploy", "--auto-approve", "--skip-provider-lock", "--skip-synth", "--output", t.out)
}

// applyTarget applies one resource with Terraform itself, in the stack's
// directory (the emulator workaround for the artifact upload).
func (t *cdktfToolchain) applyTarget(ctx context.Context, addr string) error {
	return t.run(ctx, t.stackDir(), "terraform", "apply", "-auto-approve", "-input=false", "-target="+addr)
}

// preupload creates one resource (and what it depends on) before the
// full deploy: terraform init and a targeted apply in the stack directory.
func (t *cdktfToolchain) preupload(ctx context.Context, addr string) error {
	if err := t.run(ctx, t.stackDir(), "terraform", "init", "-input=false"); err != nil {
		return err
	}
	return t.applyTarget(ctx, addr)
}

// BeforeDeploy uploads the server binary first (an emulator workaround).
func (t *cdktfToolchain) BeforeDeploy(ctx context.Context, h Hooks) error {
	return uploadBinaryFirst(ctx, t, h)
}

// Recover retries a deploy whose artifact upload the emulator denied (an
// emulator workaround).
func (t *cdktfToolchain) Recover(ctx context.Context, h Hooks, deployErr error) error {
	return retryDeniedUpload(ctx, t, h, deployErr)
}

// UseRemoteState reads the state through read. Every local up has a new
// emulator (a new endpoint in the backend block) and nothing to migrate:
// it forgets the backend a previous run initialised, or init would ask to
// migrate.
func (t *cdktfToolchain) UseRemoteState(read func(context.Context) ([]byte, error)) (bool, error) {
	if err := os.Remove(filepath.Join(t.stackDir(), ".terraform", "terraform.tfstate")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	t.readState = read
	return true, nil
}

func (t *cdktfToolchain) Destroy(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(t.stackDir(), "cdk.tf.json")); err != nil {
		if _, err := t.Synth(ctx); err != nil {
			return err
		}
	}
	return t.npx(ctx, "cdktf", "destroy", "--auto-approve", "--skip-synth", "--output", t.out)
}

func (t *cdktfToolchain) Outputs(ctx context.Context) (map[string]string, error) {
	var b []byte
	var err error
	if t.readState != nil {
		b, err = t.readState(ctx)
	} else {
		b, err = os.ReadFile(t.state)
	}
	if err != nil {
		return nil, fmt.Errorf("terraform state: %w", err)
	}
	var st struct {
		Outputs map[string]struct {
			Value any `json:"value"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("terraform state %s: %w", t.state, err)
	}
	out := map[string]string{}
	for k, v := range st.Outputs {
		switch x := v.Value.(type) {
		case string:
			out[k] = x
		case []any:
			var parts []string
			for _, p := range x {
				parts = append(parts, fmt.Sprint(p))
			}
			out[k] = strings.Join(parts, ",")
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out, nil
}

// cdkToolchain deploys with the AWS CDK (CloudFormation).
type cdkToolchain struct {
	cli
	NoHooks
	out     string // cloud assembly directory
	stack   string
	account string
	region  string
	outputs func(ctx context.Context) (map[string]string, error)
}

func (t *cdkToolchain) Synth(ctx context.Context) (string, error) {
	if err := t.npx(ctx, "cdk", "synth", "--quiet", "--output", t.out); err != nil {
		return "", err
	}
	ms, _ := filepath.Glob(filepath.Join(t.out, "*.template.json"))
	sort.Strings(ms)
	for _, m := range ms {
		if strings.HasPrefix(filepath.Base(m), t.stack) {
			return m, nil
		}
	}
	if len(ms) > 0 {
		return ms[0], nil
	}
	return "", fmt.Errorf("cdk synth: no template in %s", t.out)
}

// Bootstrap runs `cdk bootstrap` from an empty directory (so no app is
// synthesized) for the account and region.
func (t *cdkToolchain) Bootstrap(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(t.root, "node_modules", ".bin", "cdk")
	return t.run(ctx, dir, bin, "bootstrap", "aws://"+t.account+"/"+t.region)
}

// Prepare bootstraps the AWS CDK in the emulator.
func (t *cdkToolchain) Prepare(ctx context.Context, h Hooks) error {
	return h.Step("bootstrap the AWS CDK in the emulator", func() (string, error) {
		return "", t.Bootstrap(ctx, filepath.Join(h.Dir, "cdk-bootstrap"))
	})
}

func (t *cdkToolchain) Deploy(ctx context.Context) error {
	return t.npx(ctx, "cdk", "deploy", "--app", t.out, "--require-approval", "never", "--progress", "events", t.stack)
}

func (t *cdkToolchain) Destroy(ctx context.Context) error {
	app := t.out
	if _, err := os.Stat(filepath.Join(t.out, "manifest.json")); err != nil {
		if _, err := t.Synth(ctx); err != nil {
			return err
		}
	}
	return t.npx(ctx, "cdk", "destroy", "--app", app, "--force", t.stack)
}

func (t *cdkToolchain) Outputs(ctx context.Context) (map[string]string, error) {
	return t.outputs(ctx)
}

// countResources counts the resources of a synthesized template:
// Terraform JSON (resource.<type>.<name>) or CloudFormation (Resources).
func countResources(path string) (int, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var doc struct {
		Resource  map[string]map[string]json.RawMessage `json:"resource"`
		Resources map[string]json.RawMessage            `json:"Resources"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, len(b), err
	}
	n := len(doc.Resources)
	for _, byName := range doc.Resource {
		n += len(byName)
	}
	return n, len(b), nil
}

// toolchainFor builds the real toolchain of a deployment.
func toolchainFor(name string, l Layout, env []string, stack, account, region string, outputs func(context.Context) (map[string]string, error)) Toolchain {
	c := cli{root: l.Root, env: env, log: filepath.Join(l.Logs(), "deploy-"+name+".log")}
	if name == state.Terraform {
		return &cdktfToolchain{cli: c, out: l.TFOut(), stack: stack, state: l.TFState(stack)}
	}
	return &cdkToolchain{cli: c, out: l.CDKOut(), stack: stack, account: account, region: region, outputs: outputs}
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(10*time.Millisecond)) / float64(time.Second)
}
