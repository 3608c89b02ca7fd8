package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/report"
	"github.com/twinstack/twinstack/internal/state"
)

func benchCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), append([]string{"bench"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// fakeDeployment stands in for one deployment: a server answering POST
// /images and a Lambda invoke API in front of it.
type fakeDeployment struct {
	name   string
	server *httptest.Server
	lambda *httptest.Server
	mu     sync.Mutex
	hits   map[string]int // "server" / "lambda" -> requests
	fail   bool
}

func newFakeDeployment(t *testing.T, name string) *fakeDeployment {
	f := &fakeDeployment{name: name, hits: map[string]int{}}
	answer := func(w http.ResponseWriter, r *http.Request, kind string) {
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in["image_url"] == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"failure","error":{"code":"invalid_request","message":"no image_url"}}`)
			return
		}
		f.mu.Lock()
		f.hits[kind]++
		n, fail := f.hits[kind], f.fail
		f.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"failure","error":{"code":"storage_unavailable","message":"store down"}}`)
			return
		}
		body := fmt.Sprintf(`{"status":"success","image_id":"%s-%d","bucket":"%s-images","key":"images/%s-%d","size_bytes":2048`, name, n, name, name, n)
		if kind == "lambda" {
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, body+`,"request_id":"r","server_ms":2.5,"total_ms":3.25}`)
			return
		}
		w.Header().Set("Server-Timing", "download;dur=1.0, s3;dur=0.5, dynamodb;dur=0.3, total;dur=2.0")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, body+"}")
	}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/images" {
			http.NotFound(w, r)
			return
		}
		answer(w, r, "server")
	}))
	f.lambda = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != bench.InvokePath {
			http.NotFound(w, r)
			return
		}
		answer(w, r, "lambda")
	}))
	t.Cleanup(func() { f.server.Close(); f.lambda.Close() })
	return f
}

func (f *fakeDeployment) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[kind]
}

// writeState writes a state file naming the fakes, and a timings file.
func writeState(t *testing.T, fakes ...*fakeDeployment) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".twinstack")
	st := &state.State{
		Region:      "us-east-1",
		Emulator:    &state.Emulator{Endpoint: "http://localhost:1", Name: "moto"},
		Origin:      &state.Origin{URL: "http://127.0.0.1:2", Images: []string{"http://127.0.0.1:2/sample.png"}},
		Deployments: map[string]*state.Deployment{},
	}
	for _, f := range fakes {
		st.Deployments[f.name] = &state.Deployment{
			Name: f.name, Prefix: f.name, ServerURL: f.server.URL, LambdaInvokeURL: f.lambda.URL + bench.InvokePath,
			Bucket: f.name + "-images", ImagesTable: f.name + "-images",
			InstanceType: "t3.micro", InstanceCount: 2, LambdaMemoryMB: 256, LambdaArch: "arm64",
			Timings:       state.Timings{SynthSeconds: 2.5, DeploySeconds: 100},
			ResourceCount: 40, TemplateBytes: 30000,
			Gaps: []state.Gap{{Resource: "ImagesBucket", Property: "VersioningConfiguration", Patched: true}},
		}
		if err := state.RecordTimings(filepath.Join(dir, "timings.json"), f.name, state.Timings{DestroySeconds: 35}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "state.json")
	if err := state.Save(path, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	return path
}

func readResults(t *testing.T, dir string) (report.Results, []bench.Record) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, report.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Results
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, report.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := report.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{report.MarkdownFile, report.HTMLFile} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	return r, recs
}

// TestBenchBothFromState runs the default shape (both deployments,
// interleaved, via the Lambda) against fakes named by a state file.
func TestBenchBothFromState(t *testing.T) {
	tf, cfn := newFakeDeployment(t, state.Terraform), newFakeDeployment(t, state.CloudFormation)
	statePath := writeState(t, tf, cfn)
	out := t.TempDir()
	code, stdout, stderr := benchCLI(t, nil, "--state", statePath, "--rate", "4", "--duration", "1s", "--slice", "250ms", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, f := range []*fakeDeployment{tf, cfn} {
		if n := f.count("lambda"); n != 4 {
			t.Errorf("%s lambda got %d requests, want 4", f.name, n)
		}
		if n := f.count("server"); n != 0 {
			t.Errorf("%s server got %d direct requests", f.name, n)
		}
	}
	r, recs := readResults(t, out)
	if !r.Local || !strings.Contains(r.Label, "local cloud") || len(r.Deployments) != 2 || r.Comparison == nil {
		t.Fatalf("results: label %q local %v deployments %d", r.Label, r.Local, len(r.Deployments))
	}
	for _, d := range r.Deployments {
		s := d.Summary
		if s.Sent != 4 || s.OK != 4 || s.Planned != 4 || d.Target.Kind != string(bench.KindLambdaInvoke) {
			t.Errorf("%s: %+v", d.Name, s)
		}
		if d.Cost == nil || d.Cost.IdleMonthly <= 0 || d.Cost.Per1000 <= 0 {
			t.Errorf("%s: cost %+v %s", d.Name, d.Cost, d.CostError)
		}
		if s.LambdaBilledMs != 4 { // ceil(3.25)
			t.Errorf("%s: billed %g ms", d.Name, s.LambdaBilledMs)
		}
		tc := d.Toolchain
		if tc == nil || tc.DeploySeconds != 100 || tc.DestroySeconds != 35 || tc.DestroyFrom != "last local down" || tc.EmulatorGaps != 1 || tc.GapsPatched != 1 {
			t.Errorf("%s: toolchain %+v", d.Name, tc)
		}
	}
	for _, rec := range recs {
		if rec.Bucket != rec.Deployment+"-images" {
			t.Errorf("request %s/%d stored in %q", rec.Deployment, rec.Seq, rec.Bucket)
		}
	}
	if len(recs) != 8 {
		t.Errorf("%d rows in requests.csv, want 8", len(recs))
	}
	for _, want := range []string{"terraform", "cloudformation", "cloudformation / terraform latency", "wrote "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

// TestBenchTargetURL: a target given by flags, no state file, via the
// server.
func TestBenchTargetURL(t *testing.T) {
	tf := newFakeDeployment(t, state.Terraform)
	out := t.TempDir()
	code, stdout, stderr := benchCLI(t, map[string]string{"TWINSTACK_BENCH_RATE": "5"},
		"--deployment", "terraform", "--via", "server", "--target-url", tf.server.URL, "--duration", "600ms",
		"--image-url", "http://127.0.0.1:3/a.png", "--state", filepath.Join(t.TempDir(), "none.json"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := tf.count("server"); n != 3 {
		t.Errorf("server got %d requests, want 3 (5/s for 600ms)", n)
	}
	r, _ := readResults(t, out)
	d := r.Deployments[0]
	if r.Local || r.Label != "targets given by --target-url" || d.Toolchain != nil || r.Comparison != nil {
		t.Errorf("results: %q local=%v toolchain=%v", r.Label, r.Local, d.Toolchain)
	}
	if len(d.Summary.Breakdown.Segments) != 5 || d.Summary.Breakdown.Segments[1].Name != bench.SegDownload {
		t.Errorf("breakdown %+v", d.Summary.Breakdown)
	}
	if d.Cost == nil || d.Cost.Variable[0].Item == "Lambda requests" {
		t.Errorf("via server should have no Lambda cost: %+v", d.Cost)
	}
}

func TestBenchFailures(t *testing.T) {
	tf := newFakeDeployment(t, state.Terraform)
	tf.fail = true
	out := t.TempDir()
	code, stdout, stderr := benchCLI(t, nil, "--deployment", "terraform", "--via", "server", "--target-url", "terraform="+tf.server.URL,
		"--rate", "5", "--duration", "400ms", "--image-url", "http://127.0.0.1:3/a.png", "--out", out, "--state", filepath.Join(t.TempDir(), "none.json"))
	if code != exitFail || !strings.Contains(stdout, "2 storage_unavailable (5xx)") || !strings.Contains(stderr, "2 of 2 requests failed") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r, _ := readResults(t, out) // the report is written all the same
	if r.Deployments[0].Summary.ErrorsByCode["storage_unavailable"] != 2 {
		t.Errorf("errors %+v", r.Deployments[0].Summary.ErrorsByCode)
	}
}

func TestBenchFindMax(t *testing.T) {
	tf := newFakeDeployment(t, state.Terraform)
	statePath := writeState(t, tf)
	out := t.TempDir()
	code, stdout, stderr := benchCLI(t, nil, "--state", statePath, "--deployment", "terraform", "--via", "server",
		"--find-max", "--rate", "2", "--max-steps", "2", "--step-duration", "500ms", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r, recs := readResults(t, out)
	if len(r.FindMax) != 1 || len(r.FindMax[0].Steps) != 2 || r.FindMax[0].MaxSustained != 4 {
		t.Fatalf("find-max %+v", r.FindMax)
	}
	if !strings.Contains(stdout, "find-max terraform: highest sustained 4 req/s") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if len(recs) != 3 || r.Deployments[0].Summary.Phase != "step2" {
		t.Errorf("%d records, summary of %q", len(recs), r.Deployments[0].Summary.Phase)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badPrices := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(badPrices, []byte(`{"schema_version": 1, "regio": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	none := filepath.Join(dir, "none.json")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bad via", []string{"--via", "sqs"}, exitUsage, "--via must be lambda or server"},
		{"bad deployment", []string{"--deployment", "pulumi"}, exitUsage, "--deployment must be"},
		{"zero rate", []string{"--rate", "0"}, exitUsage, "--rate must be above 0"},
		{"no request", []string{"--rate", "0.1", "--duration", "1s"}, exitUsage, "sends no request"},
		{"bad kind", []string{"--target-kind", "grpc"}, exitUsage, "unknown target kind"},
		{"bad image", []string{"--image-url", "file:///etc/passwd"}, exitUsage, "not an http(s) URL"},
		{"bad prices", []string{"--prices", badPrices, "--state", none}, exitUsage, "price_unknown_field"},
		{"missing prices", []string{"--prices", filepath.Join(dir, "nope.json")}, exitUsage, "price_file_unreadable"},
		{"no state", []string{"--state", none}, exitFail, "run `twinstack local up` first"},
		{"two plain targets", []string{"--state", none, "--target-url", "http://a", "--image-url", "http://o/x"}, exitUsage, "one --target-url deployment=URL per deployment"},
		{"unselected target", []string{"--state", none, "--deployment", "terraform", "--target-url", "cloudformation=http://a", "--image-url", "http://o/x"}, exitUsage, "not selected"},
		{"no image", []string{"--state", none, "--deployment", "terraform", "--target-url", "http://a"}, exitUsage, "no --image-url"},
		{"env bad", []string{}, exitUsage, "TWINSTACK_BENCH_DURATION"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if tc.name == "env bad" {
				env["TWINSTACK_BENCH_DURATION"] = "soon"
			}
			code, _, stderr := benchCLI(t, env, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d; stderr %q should contain %q", code, tc.code, stderr, tc.want)
			}
		})
	}
}
