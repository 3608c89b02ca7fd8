package emugaps

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestFind(t *testing.T) {
	l, err := Parse([]byte(`{"emulator":"moto","gaps":[
		{"deployment":"cloudformation","check":"bucket.versioning","seen_on":"5.2.1"},
		{"deployment":"cloudformation","check":"instance.*.imdsv2","seen_on":"5.2.1"},
		{"deployment":"*","check":"function.url.*","seen_on":"5.2.1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dep, check string
		want       string
	}{
		{"cloudformation", "bucket.versioning", "bucket.versioning"},
		{"terraform", "bucket.versioning", ""},
		{"cloudformation", "instance.Server2.imdsv2", "instance.*.imdsv2"},
		{"cloudformation", "instance.Server2.type", ""},
		{"terraform", "function.url.auth", "function.url.*"},
	}
	for _, tc := range tests {
		got := ""
		if g := l.Find(tc.dep, tc.check); g != nil {
			got = g.Check
		}
		if got != tc.want {
			t.Errorf("Find(%s, %s) = %q, want %q", tc.dep, tc.check, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		`{"gaps":[{"deployment":"cloudformation","check":"x"}]}`,
		`{"gaps":[{"deployment":"cloudformation","check":"[","seen_on":"1"}]}`,
		`{"gapz":[]}`,
		`not json`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%s): no error", in)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"5.2.1", "5.2.1", 0}, {"5.2.1", "5.10.0", -1}, {"5.3", "5.2.9", 1}, {"5.2", "5.2.0", 0},
	}
	for _, tc := range tests {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// The project's own gap file parses.
func TestProjectGapFile(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", DefaultFile)
	if _, err := os.Stat(p); err != nil {
		t.Skip("no gap file yet")
	}
	if _, err := Load(p); err != nil {
		t.Fatal(err)
	}
}
