package cdktf_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*/want.tf.json")

// assetHash matches cdktf's asset hashes (upper-case MD5 of the content).
var assetHash = regexp.MustCompile(`\b[0-9A-F]{32}\b`)

// normalize makes synth output comparable across cdktf versions and
// artifact builds: asset hashes become <HASH>, the cdktf version is dropped,
// keys are sorted and the JSON indented.
func normalize(t testing.TB, b []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(assetHash.ReplaceAll(b, []byte("<HASH>")), &doc); err != nil {
		t.Fatal(err)
	}
	if meta, ok := doc["//"].(map[string]any); ok {
		if m, ok := meta["metadata"].(map[string]any); ok {
			delete(m, "version")
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestGolden compares each case's normalised synth output with
// testdata/<case>/want.tf.json; -update rewrites the files.
func TestGolden(t *testing.T) {
	root := fakeRoot(t)
	for _, name := range allCases() {
		t.Run(name, func(t *testing.T) {
			cfg, sys := loadCase(t, name)
			_, b := synth(t, cfg, sys, root, t.TempDir())
			got := normalize(t, b)
			file := filepath.Join("testdata", name, "want.tf.json")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./stacks/cdktf -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got; go test ./stacks/cdktf -update rewrites it):\n%s", file, diff)
			}
		})
	}
}

// TestDeterministic synthesizes every case twice, into different output
// directories and from different artifact roots, and expects identical
// bytes with no absolute path in them.
func TestDeterministic(t *testing.T) {
	rootA, rootB := fakeRoot(t), fakeRoot(t)
	for _, name := range allCases() {
		t.Run(name, func(t *testing.T) {
			cfg, sys := loadCase(t, name)
			outA, outB := t.TempDir(), t.TempDir()
			_, a := synth(t, cfg, sys, rootA, outA)
			_, b := synth(t, cfg, sys, rootB, outB)
			if !bytes.Equal(a, b) {
				t.Fatalf("two synths differ:\n%s", cmp.Diff(string(a), string(b)))
			}
			for _, p := range []string{rootA, rootB, outA, outB, projectRoot(t)} {
				if strings.Contains(string(a), p) {
					t.Errorf("output contains the absolute path %s", p)
				}
			}
		})
	}
}
