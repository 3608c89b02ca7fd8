package emulator

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Report
		ok   bool
	}{
		{"first", "REPORT RequestId: abc-1\tInit Duration: 12.50 ms\tDuration: 86.47 ms\tBilled Duration: 87 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t",
			Report{RequestID: "abc-1", Init: 12500 * time.Microsecond, Duration: 86470 * time.Microsecond}, true},
		{"warm", "REPORT RequestId: abc-2\tDuration: 1.09 ms\tBilled Duration: 2 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t",
			Report{RequestID: "abc-2", Duration: 1090 * time.Microsecond}, true},
		{"start line", "START RequestId: abc-1 Version: $LATEST", Report{}, false},
		{"function log", `{"level":"INFO","msg":"invocation"}`, Report{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseReport(tc.line)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b time.Duration) bool {
				return (a - b).Abs() < time.Microsecond
			})); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "bin", Binary)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := Lookup(dir); err != nil || got != p {
		t.Errorf("Lookup = %q, %v; want %q", got, err, p)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := Lookup(t.TempDir()); err == nil {
		t.Error("Lookup found an emulator that is not there")
	}
}

func TestStartRejects(t *testing.T) {
	if _, err := Start(t.Context(), Options{}); err == nil {
		t.Error("Start without RIE and Bootstrap succeeded")
	}
	if _, err := Start(t.Context(), Options{RIE: "/bin/true", Bootstrap: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("Start with a missing bootstrap succeeded")
	}
}
