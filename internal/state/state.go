package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/twinstack/twinstack/internal/apperr"
)

// Schema version written by Save. Readers accept files with this version or
// lower.
const Version = 1

// Default locations, relative to the project root.
const (
	Dir         = ".twinstack"
	DefaultPath = Dir + "/state.json"
	TimingsPath = Dir + "/timings.json"
)

// Deployment names: the toolchain that deployed the system.
const (
	Terraform      = "terraform"
	CloudFormation = "cloudformation"
)

// State is what the local cloud started and where it answers.
type State struct {
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
	Region    string    `json:"region,omitempty"`
	// Emulator is the local AWS endpoint (moto); nil or empty Endpoint
	// when the deployments live in a real AWS account.
	Emulator *Emulator `json:"emulator,omitempty"`
	// Origin is the local image origin serving the sample images.
	Origin *Origin `json:"origin,omitempty"`
	// Deployments by name (Terraform, CloudFormation).
	Deployments map[string]*Deployment `json:"deployments,omitempty"`
	// Processes started by `local up`, stopped by PID by `local down`.
	Processes []Process `json:"processes,omitempty"`
}

// Emulator is the local AWS endpoint.
type Emulator struct {
	Endpoint string `json:"endpoint"` // http://localhost:PORT
	Name     string `json:"name,omitempty"`
	Version  string `json:"version,omitempty"` // moto version, e.g. 5.2.0
	PID      int    `json:"pid,omitempty"`     // 0 when reused, not started
	Started  bool   `json:"started,omitempty"` // true when `local up` started it
}

// Origin is the local image origin.
type Origin struct {
	URL string `json:"url"` // base URL, http://127.0.0.1:PORT
	// Images are full URLs of the sample images; the first is the default
	// image of invoke and bench.
	Images []string `json:"images,omitempty"`
}

// Deployment is one deployment of the system and the local processes that
// stand in for its compute.
type Deployment struct {
	Name      string `json:"name"`   // Terraform or CloudFormation
	Prefix    string `json:"prefix"` // resource name prefix
	StackName string `json:"stack_name,omitempty"`

	// ServerURL is what the Lambda's SERVER_URL points at: the load
	// balancer (locally the server group's stand-in, on one address for
	// the deployment's lifetime). `bench --via server` sends here.
	ServerURL       string `json:"server_url,omitempty"`
	LoadBalancerURL string `json:"load_balancer_url,omitempty"`
	// ServerGroup is the Auto Scaling group's name. Its servers come and
	// go with its instances, so their addresses are not kept here: the
	// local stand-in lists them at LoadBalancerURL + "/lb/targets".
	ServerGroup string `json:"server_group,omitempty"`
	// LambdaInvokeURL is the emulator's invoke API,
	// http://127.0.0.1:PORT/2015-03-31/functions/function/invocations.
	LambdaInvokeURL string `json:"lambda_invoke_url,omitempty"`
	// FunctionURL is a real Lambda function URL (AWS_IAM auth), when known.
	FunctionURL string `json:"function_url,omitempty"`

	Bucket      string            `json:"bucket,omitempty"`
	ImagesTable string            `json:"images_table,omitempty"`
	AlbumsTable string            `json:"albums_table,omitempty"`
	Outputs     map[string]string `json:"outputs,omitempty"` // stack outputs as read back

	// What was deployed, for the cost model. Zero values mean unknown (the
	// stack configuration is used instead).
	InstanceType   string `json:"instance_type,omitempty"`
	InstanceCount  int    `json:"instance_count,omitempty"`
	LambdaMemoryMB int    `json:"lambda_memory_mb,omitempty"`
	LambdaArch     string `json:"lambda_arch,omitempty"` // arm64 or x86_64

	Timings Timings `json:"timings"`
	// ResourceCount is the number of resources in the synthesized
	// template (Terraform resources; CloudFormation Resources entries).
	ResourceCount int `json:"resource_count,omitempty"`
	// TemplateBytes is the size of the synthesized template file.
	TemplateBytes int    `json:"template_bytes,omitempty"`
	TemplatePath  string `json:"template_path,omitempty"`
	// Gaps are the emulator gaps verify found for this deployment.
	Gaps []Gap `json:"emulator_gaps,omitempty"`
	// StateStore says where the toolchain keeps the deployment's state
	// and how it refuses a second writer.
	StateStore string `json:"state_store,omitempty"`
}

// Timings are wall times of the deployment's lifecycle in seconds; zero
// means not recorded.
type Timings struct {
	SynthSeconds   float64   `json:"synth_seconds,omitempty"`
	DeploySeconds  float64   `json:"deploy_seconds,omitempty"`
	DestroySeconds float64   `json:"destroy_seconds,omitempty"`
	RecordedAt     time.Time `json:"recorded_at,omitzero"`
}

// Merge fills t's unrecorded timings from o.
func (t Timings) Merge(o Timings) Timings {
	if t.SynthSeconds == 0 {
		t.SynthSeconds = o.SynthSeconds
	}
	if t.DeploySeconds == 0 {
		t.DeploySeconds = o.DeploySeconds
	}
	if t.DestroySeconds == 0 {
		t.DestroySeconds = o.DestroySeconds
	}
	if t.RecordedAt.IsZero() {
		t.RecordedAt = o.RecordedAt
	}
	return t
}

// Gap is one setting the emulator did not apply, as verify reported it.
type Gap struct {
	Resource string `json:"resource"`           // logical id or resource name
	Type     string `json:"type,omitempty"`     // AWS::S3::Bucket
	Property string `json:"property,omitempty"` // VersioningConfiguration
	Detail   string `json:"detail,omitempty"`
	SeenOn   string `json:"seen_on,omitempty"` // emulator version
	Patched  bool   `json:"patched,omitempty"` // applied through the API afterwards
}

// Process is a local process started by `local up`.
type Process struct {
	Role       string `json:"role"`                 // moto, server, balancer, lambda, origin
	Deployment string `json:"deployment,omitempty"` // empty for shared processes
	PID        int    `json:"pid"`
	Port       int    `json:"port,omitempty"`
	URL        string `json:"url,omitempty"`
	Log        string `json:"log,omitempty"` // log file path
}

// Names lists the deployment names in a fixed order: terraform,
// cloudformation, then others sorted.
func (s *State) Names() []string {
	var out []string
	for _, n := range []string{Terraform, CloudFormation} {
		if _, ok := s.Deployments[n]; ok {
			out = append(out, n)
		}
	}
	var rest []string
	for n := range s.Deployments {
		if n != Terraform && n != CloudFormation {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// Local reports whether the state describes a local cloud.
func (s *State) Local() bool { return s.Emulator != nil && s.Emulator.Endpoint != "" }

// Load reads the state file at path. A missing file is an apperr.NotFound
// error that also matches fs.ErrNotExist; an unreadable or malformed one is
// apperr.InvalidConfig naming the file.
func Load(path string) (*State, error) {
	const op = "state.Load"
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, apperr.E(apperr.NotFound, op, fmt.Errorf("no state file %s (run `twinstack local up` first): %w", path, err))
	}
	if err != nil {
		return nil, apperr.E(apperr.InvalidConfig, op, fmt.Errorf("read state file: %w", err))
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, apperr.E(apperr.InvalidConfig, op, fmt.Errorf("state file %s: %w", path, err))
	}
	if s.Version > Version {
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "state file %s: version %d is newer than this twinstack understands (%d)", path, s.Version, Version)
	}
	for name, d := range s.Deployments {
		if d == nil {
			return nil, apperr.Errorf(apperr.InvalidConfig, op, "state file %s: deployment %q is null", path, name)
		}
		if d.Name == "" {
			d.Name = name
		}
	}
	return &s, nil
}

// Save writes s to path atomically, creating the directory. It sets
// Version, and UpdatedAt to now unless now is zero.
func Save(path string, s *State, now time.Time) error {
	s.Version = Version
	if !now.IsZero() {
		s.UpdatedAt = now.UTC()
	}
	return writeJSON(path, s)
}

// LoadTimings reads the timings file (deployment name -> timings). A
// missing file is an empty map and no error.
func LoadTimings(path string) (map[string]Timings, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Timings{}, nil
	}
	if err != nil {
		return nil, apperr.E(apperr.InvalidConfig, "state.LoadTimings", fmt.Errorf("read timings file: %w", err))
	}
	m := map[string]Timings{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, apperr.E(apperr.InvalidConfig, "state.LoadTimings", fmt.Errorf("timings file %s: %w", path, err))
	}
	return m, nil
}

// RecordTimings merges t into the timings file for deployment name: the
// recorded (non-zero) fields of t replace the stored ones. `local up`
// records synth and deploy, `local down` records destroy; the file is kept
// by `local down` so that the next report can show the destroy time.
func RecordTimings(path, name string, t Timings) error {
	m, err := LoadTimings(path)
	if err != nil {
		return err
	}
	m[name] = t.Merge(m[name])
	return writeJSON(path, m)
}

// writeJSON writes v as indented JSON to path through a temporary file in
// the same directory and a rename.
func writeJSON(path string, v any) error {
	const op = "state.Save"
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("encode: %w", err))
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("create state directory: %w", err))
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("create temporary file: %w", err))
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("write %s: %w", tmp, err))
	}
	if err := f.Chmod(0o644); err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("chmod %s: %w", tmp, err))
	}
	if err := f.Sync(); err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("sync %s: %w", tmp, err))
	}
	if err := f.Close(); err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("close %s: %w", tmp, err))
	}
	if err := os.Rename(tmp, path); err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("rename to %s: %w", path, err))
	}
	ok = true
	return nil
}
