package emugaps

import (
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	l, err := Parse([]byte(`{"emulator":"moto","gaps":[
		{"id":"v","deployment":"cloudformation","check":"bucket.versioning","matches":1,"observed":"","seen_on":"5.2.1"},
		{"id":"i","deployment":"cloudformation","check":"instance.*.imdsv2","matches":2,"observed":"optional","seen_on":"5.2.1"},
		{"id":"u","deployment":"terraform","check":"function.url.*","matches":1,"observed":"(not found)","seen_on":"5.2.1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dep, check, observed string
		want                 string
	}{
		{"cloudformation", "bucket.versioning", "", "v"},
		{"cloudformation", "bucket.versioning", "Suspended", ""}, // another observation is a real difference
		{"terraform", "bucket.versioning", "", ""},
		{"cloudformation", "instance.Server2.imdsv2", "optional", "i"},
		{"cloudformation", "instance.Server2.imdsv2", "", ""},
		{"cloudformation", "instance.Server2.type", "optional", ""},
		{"terraform", "function.url.auth", NotFound, "u"},
		{"terraform", "function.url.auth", "NONE", ""},
	}
	for _, tc := range tests {
		got := ""
		if g := l.Find(tc.dep, tc.check, tc.observed); g != nil {
			got = g.ID
		}
		if got != tc.want {
			t.Errorf("Find(%s, %s, %q) = %q, want %q", tc.dep, tc.check, tc.observed, got, tc.want)
		}
	}
	if n := len(l.Covering("cloudformation", "bucket.versioning")); n != 1 {
		t.Errorf("Covering: %d entries, want 1", n)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"gaps":[{"id":"a","deployment":"cloudformation","check":"x","matches":1,"observed":""}]}`, "seen_on"},
		{`{"gaps":[{"id":"a","deployment":"cloudformation","check":"x","matches":1,"seen_on":"1"}]}`, "observed is required"},
		{`{"gaps":[{"id":"a","deployment":"cloudformation","check":"x","observed":"","seen_on":"1"}]}`, "matches"},
		{`{"gaps":[{"deployment":"cloudformation","check":"x","matches":1,"observed":"","seen_on":"1"}]}`, "id"},
		{`{"gaps":[{"id":"a","deployment":"*","check":"x","matches":1,"observed":"","seen_on":"1"}]}`, "deployment must be"},
		{`{"gaps":[{"id":"a","deployment":"cloudformation","check":"[","matches":1,"observed":"","seen_on":"1"}]}`, "bad pattern"},
		{`{"gaps":[{"id":"a","deployment":"cloudformation","check":"x","matches":1,"observed":"","seen_on":"1"},{"id":"a","deployment":"cloudformation","check":"y","matches":1,"observed":"","seen_on":"1"}]}`, "duplicate"},
		{`{"gapz":[]}`, "unknown field"},
		{`not json`, "invalid"},
	} {
		_, err := Parse([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s): %v, want an error about %q", tc.in, err, tc.want)
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
