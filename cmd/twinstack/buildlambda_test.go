package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestBuildLambdaUsage(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		stderr string
	}{
		{"unknown arch", nil, []string{"-goarch", "riscv64"}, `architecture "riscv64": want arm64 or amd64`},
		{"unknown arch from env", map[string]string{"TWINSTACK_LAMBDA_GOARCH": "386"}, nil, `architecture "386"`},
		{"nothing to write", nil, []string{"-out", ""}, "nothing to write"},
		{"stray argument", nil, []string{"lambda"}, "unexpected arguments"},
		{"unknown flag", nil, []string{"-arch", "arm64"}, "flag provided but not defined: -arch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.env, append([]string{"build-lambda"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.stderr) || !strings.Contains(stderr, "invalid_request") {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.stderr)
			}
		})
	}
	if code, _, stderr := runCLI(t, nil, "build-lambda", "-h"); code != exitOK || !strings.Contains(stderr, "-bootstrap") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr)
	}
}

// TestBuildLambdaCommand: two runs give the same zip bytes; the host build
// writes an executable bootstrap.
func TestBuildLambdaCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda")
	}
	line := regexp.MustCompile(`^(\S+): linux/arm64 bootstrap \d+ bytes, zip \d+ bytes, sha256 ([0-9a-f]{64})\n$`)
	var zips [][]byte
	var sums []string
	for range 2 {
		out := filepath.Join(t.TempDir(), "build", "lambda.zip")
		code, stdout, stderr := runCLI(t, nil, "build-lambda", "-out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		m := line.FindStringSubmatch(stdout)
		if m == nil || m[1] != out {
			t.Fatalf("stdout = %q", stdout)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		zips = append(zips, b)
		sums = append(sums, m[2])
	}
	if !bytes.Equal(zips[0], zips[1]) || sums[0] != sums[1] {
		t.Errorf("two builds differ: %s vs %s", sums[0], sums[1])
	}

	boot := filepath.Join(t.TempDir(), "lambda-local", "bootstrap")
	code, stdout, stderr := runCLI(t, map[string]string{"TWINSTACK_LAMBDA_GOARCH": "amd64"}, "build-lambda", "-out", "", "-bootstrap", boot)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, boot+": linux/amd64 bootstrap ") || strings.Contains(stdout, "zip") {
		t.Errorf("stdout = %q", stdout)
	}
	if fi, err := os.Stat(boot); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("bootstrap: %v, %v", fi, err)
	}
}
