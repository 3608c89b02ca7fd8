package diff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twinstack/twinstack/internal/diff"
	"github.com/twinstack/twinstack/internal/toolenv"
)

// Asset hashes: cdktf's upper-case MD5 and CDK's SHA-256.
var (
	cdktfHash = regexp.MustCompile(`\b[0-9A-F]{32}\b`)
	cdkHash   = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
)

// normalizeSynth makes a synth output independent of the artifacts' content
// and of the cdktf version, and stable in layout.
func normalizeSynth(t testing.TB, b []byte) []byte {
	t.Helper()
	b = cdktfHash.ReplaceAll(b, []byte("<HASH>"))
	b = cdkHash.ReplaceAll(b, []byte("<hash>"))
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if meta, ok := doc["//"].(map[string]any); ok {
		if m, ok := meta["metadata"].(map[string]any); ok {
			delete(m, "version")
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestSynthFixtures runs both apps (app/cdktf and app/cdk, the real
// renderers through jsii) with each case's configuration and checks that
// testdata/synth holds what they produce today; -update rewrites it. It
// then checks that the fresh outputs compare as the fixtures do.
func TestSynthFixtures(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes with cdktf and AWS CDK (slow)")
	}
	requireTool(t, "node")
	root := moduleRoot(t)
	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, app := range []string{"cdktf", "cdk"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, app), "./app/"+app)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build app/%s: %v\n%s", app, err, out)
		}
	}
	// The apps stage the artifacts as assets; their content only changes
	// hashes, which are normalised away.
	work := t.TempDir()
	for _, f := range []string{"build/server-linux-amd64", "build/server-linux-arm64", "build/lambda.zip"} {
		p := filepath.Join(work, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("fixture "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			cfgPath, err := filepath.Abs(filepath.Join("testdata", "synth", name, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct {
				Prefix string `json:"prefix"`
			}
			raw, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &cfg); err != nil {
				t.Fatal(err)
			}
			stack := cfg.Prefix
			if stack == "" {
				stack = "twinstack"
			}
			out := t.TempDir()
			env := []string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
				"TWINSTACK_CONFIG=" + cfgPath,
				"CDKTF_OUTDIR=" + filepath.Join(out, "cdktf.out"),
				"CDK_OUTDIR=" + filepath.Join(out, "cdk.out"),
			}
			env = append(env, toolenv.Environ()...)
			for _, app := range []string{"cdktf", "cdk"} {
				cmd := exec.CommandContext(ctx, filepath.Join(bin, app))
				cmd.Dir, cmd.Env = work, env
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("synth %s: %v\n%s", app, err, b)
				}
			}
			fresh := map[string]string{
				"cdk.tf.json":   filepath.Join(out, "cdktf.out", "stacks", stack, "cdk.tf.json"),
				"template.json": filepath.Join(out, "cdk.out", stack+".template.json"),
			}
			inputs := map[string]diff.Input{}
			for file, src := range fresh {
				b, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				got := normalizeSynth(t, b)
				inputs[file] = diff.Input{Path: src, Data: b}
				dst := filepath.Join("testdata", "synth", name, file)
				if *update {
					if err := os.WriteFile(dst, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(dst)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(want, got) {
					t.Errorf("%s is stale: the renderers now synthesize something else (go test ./internal/diff -run TestSynthFixtures -update)", dst)
				}
			}
			report, err := diff.Run(inputs["cdk.tf.json"], inputs["template.json"])
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, name, report)
			if testing.Verbose() {
				var b strings.Builder
				_ = report.Write(&b, diff.Table)
				t.Log(b.String())
			}
		})
	}
}
