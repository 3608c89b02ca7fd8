package verify

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/internal/emugaps"
)

var update = flag.Bool("update", false, "rewrite the README's gap table from emulator-gaps.json")

func projectRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func projectGaps(t *testing.T) *emugaps.List {
	t.Helper()
	l, err := emugaps.Load(filepath.Join(projectRoot(t), emugaps.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Every entry of the project's gap file matches exactly as many checks of
// the default model as it names, so that a pattern cannot silently cover
// more properties than it was written for.
func TestProjectGapEntriesAreNarrow(t *testing.T) {
	ids := CheckIDs(defaultSystem(t))
	for _, g := range projectGaps(t).Gaps {
		var matched []string
		for _, id := range ids {
			if g.Covers(g.Deployment, id) {
				matched = append(matched, id)
			}
		}
		if len(matched) != g.Matches {
			t.Errorf("%s: %q matches %d checks %v, the entry names %d", g.ID, g.Check, len(matched), matched, g.Matches)
		}
	}
}

const (
	tableBegin = "<!-- emulator-gaps table: generated from emulator-gaps.json; go test ./internal/verify -run TestREADMEGapTable -update -->\n"
	tableEnd   = "<!-- end of emulator-gaps table -->\n"
)

// The README's gap table is generated from emulator-gaps.json.
func TestREADMEGapTable(t *testing.T) {
	p := filepath.Join(projectRoot(t), "README.md")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no generated gap table (markers %q ... %q)", tableBegin, tableEnd)
	}
	want := projectGaps(t).Markdown()
	got := s[i+len(tableBegin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(p, []byte(s[:i+len(tableBegin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's gap table differs from emulator-gaps.json: run go test ./internal/verify -run TestREADMEGapTable -update\n got:\n%s\nwant:\n%s", got, want)
}
