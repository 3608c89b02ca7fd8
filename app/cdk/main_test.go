package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBadConfig: a bad setting is one line on stderr and status 1, before
// any synthesis.
func TestBadConfig(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{name: "count", args: []string{"-instance-count", "0"}, want: []string{"instance_count"}},
		{name: "two fields", args: []string{"-admin-cidr", "0.0.0.0/0", "-prefix", "Bad_Prefix"}, want: []string{"admin_cidr", "prefix"}},
		{name: "environment", env: map[string]string{"TWINSTACK_INSTANCE_TYPE": "huge"}, want: []string{"instance_type"}},
		{name: "unknown flag", args: []string{"-nope"}, want: []string{"nope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := runMain(tc.args, func(k string) string { return tc.env[k] }, &stderr)
			if code != 1 {
				t.Errorf("status %d, want 1", code)
			}
			out := stderr.String()
			if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "twinstack cdk: ") {
				t.Errorf("want one line, got %q", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%q does not name %s", out, w)
				}
			}
		})
	}
}
