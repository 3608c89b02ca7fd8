package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twinstack/twinstack/internal/apperr"
)

func sample() *State {
	return &State{
		Region:   "us-east-1",
		Emulator: &Emulator{Endpoint: "http://localhost:5000", Name: "moto", Version: "5.2.0", PID: 42, Started: true},
		Origin:   &Origin{URL: "http://127.0.0.1:7000", Images: []string{"http://127.0.0.1:7000/sample.png"}},
		Deployments: map[string]*Deployment{
			CloudFormation: {Name: CloudFormation, Prefix: "tscfn", ServerURL: "http://127.0.0.1:9001",
				LambdaInvokeURL: "http://127.0.0.1:9002/2015-03-31/functions/function/invocations",
				Bucket:          "tscfn-images", ImagesTable: "tscfn-images", AlbumsTable: "tscfn-albums",
				Timings:       Timings{SynthSeconds: 5.5, DeploySeconds: 30},
				ResourceCount: 41, TemplateBytes: 30000,
				Gaps: []Gap{{Resource: "ImagesBucket", Type: "AWS::S3::Bucket", Property: "VersioningConfiguration", SeenOn: "5.2.0", Patched: true}}},
			Terraform: {Name: Terraform, Prefix: "tstf", ServerURL: "http://127.0.0.1:9003", InstanceType: "t3.micro", InstanceCount: 2},
		},
		Processes: []Process{{Role: "moto", PID: 42, Port: 5000}},
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "state.json")
	s := sample()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Save(path, s, now); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	want.Version = Version
	want.UpdatedAt = now
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{Terraform, CloudFormation}, got.Names()); d != "" {
		t.Errorf("Names (-want +got):\n%s", d)
	}
	if !got.Local() {
		t.Error("Local() = false")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		code apperr.Code
	}{
		{"missing", filepath.Join(dir, "nope.json"), apperr.NotFound},
		{"syntax", write("bad.json", "{"), apperr.InvalidConfig},
		{"newer", write("new.json", `{"version": 99}`), apperr.InvalidConfig},
		{"null deployment", write("null.json", `{"version":1,"deployments":{"terraform":null}}`), apperr.InvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.path)
			if got := apperr.CodeOf(err); got != tc.code {
				t.Fatalf("code = %q, want %q (err %v)", got, tc.code, err)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "nope.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error %v does not match fs.ErrNotExist", err)
	}
}

func TestRecordTimings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "timings.json")
	if err := RecordTimings(path, Terraform, Timings{SynthSeconds: 1, DeploySeconds: 100}); err != nil {
		t.Fatal(err)
	}
	if err := RecordTimings(path, Terraform, Timings{DestroySeconds: 35}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadTimings(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Timings{Terraform: {SynthSeconds: 1, DeploySeconds: 100, DestroySeconds: 35}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	empty, err := LoadTimings(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || len(empty) != 0 {
		t.Errorf("missing timings file: %v, %v", empty, err)
	}
}
