package localcloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// Layout names the local cloud's files under the project root.
type Layout struct {
	Root string // the project root (where cdk.json and cdktf.json are)
}

func (l Layout) path(p ...string) string {
	return filepath.Join(append([]string{l.Root, state.Dir}, p...)...)
}

// Dir is .twinstack.
func (l Layout) Dir() string { return l.path() }

// StateFile is the shared state file (internal/state).
func (l Layout) StateFile() string { return filepath.Join(l.Root, state.DefaultPath) }

// TimingsFile keeps timings across `down`.
func (l Layout) TimingsFile() string { return filepath.Join(l.Root, state.TimingsPath) }

// RecordFile is the local cloud's own record of what it started.
func (l Layout) RecordFile() string { return l.path("local.json") }

// Logs is where every process and CLI run writes its log.
func (l Layout) Logs() string { return l.path("logs") }

// Bin holds binaries built for local use (twinstack, the Lambda bootstrap).
func (l Layout) Bin() string { return l.path("bin") }

// TFOut is the cdktf output directory; its stacks keep their Terraform
// state at .twinstack/terraform.<stack>.tfstate (three levels up).
func (l Layout) TFOut() string { return l.path("cdktf.out") }

// TFState is the Terraform state file of stack.
func (l Layout) TFState(stack string) string { return l.path("terraform." + stack + ".tfstate") }

// CDKOut is the AWS CDK output directory.
func (l Layout) CDKOut() string { return l.path("cdk.out") }

// Proc is one process the local cloud started.
type Proc struct {
	proc.Ref
	Role       string `json:"role"` // moto, group, lambda, lambda-pool, origin
	Deployment string `json:"deployment,omitempty"`
	Port       int    `json:"port,omitempty"`
	URL        string `json:"url,omitempty"`
	// Children is the file where the process lists the processes it
	// started itself (a server group's stand-in: its servers).
	Children string `json:"children,omitempty"`
}

// DeploymentRecord is what `down` and `verify` need to know about a
// deployment beyond the shared state.
type DeploymentRecord struct {
	// Env is the TWINSTACK_* configuration the deployment was made with.
	Env map[string]string `json:"env"`
	// Deploying is set before the deploy CLI runs: a crash after it means
	// there may be something to destroy.
	Deploying bool `json:"deploying"`
	Deployed  bool `json:"deployed"`
	// Patched maps the verify checks local up patched through the API to
	// the emulator gap entry each patch was for.
	Patched map[string]string `json:"patched,omitempty"`
	// Workarounds are the changes local up made to the deployment for
	// the emulator's sake, after verifying it; `local down` reports them.
	Workarounds []Workaround `json:"workarounds,omitempty"`
}

// Workaround is one labelled emulator workaround step of `local up` that
// changed a deployed resource.
type Workaround struct {
	verify.Workaround
	// Detail says what the step changed ("removed the policy of bucket x").
	Detail []string `json:"detail,omitempty"`
}

// Record is .twinstack/local.json: written after every step of `up`.
type Record struct {
	Version     int                          `json:"version"`
	Endpoint    string                       `json:"endpoint,omitempty"`
	MotoStarted bool                         `json:"moto_started,omitempty"`
	MotoVersion string                       `json:"moto_version,omitempty"`
	Processes   []Proc                       `json:"processes,omitempty"`
	Deployments map[string]*DeploymentRecord `json:"deployments,omitempty"`
}

// LoadRecord reads the record; a missing file is (nil, nil).
func LoadRecord(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// SaveRecord writes the record atomically.
func SaveRecord(path string, r *Record) error {
	r.Version = 1
	return writeJSON(path, r)
}

// writeJSON writes v as indented JSON to path through a temporary file
// renamed over it, so that a reader never sees half a file.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
