package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
)

// TestAdoptMapping runs `twinstack adopt-mapping` in-process: it prints
// the model's import mapping for the configuration it is given (flags
// after --, TWINSTACK_*), and stops with exit 2 on a bad account or a
// configuration that keeps nothing. That the mapping matches the
// CloudFormation template is constructs' TestImportMappingMatchesRetainedResources.
func TestAdoptMapping(t *testing.T) {
	env := map[string]string{"TWINSTACK_REGION": "eu-west-1"}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"adopt-mapping"}, args...), func(k string) string { return env[k] }, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("--account", "123456789012", "--", "-prefix", "acme")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var got map[constructs.ID]map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not a mapping: %v\n%s", err, out)
	}
	cfg := constructs.Defaults()
	cfg.Prefix, cfg.Region = "acme", "eu-west-1"
	sys, err := constructs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sys.ImportMapping("123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-model +cli):\n%s", diff)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"no account", nil, "account"},
		{"short account", []string{"--account", "12345"}, "account"},
		{"destroy_data keeps nothing", []string{"--account", "123456789012", "--", "-destroy-data"}, "destroy_data"},
		{"bad configuration", []string{"--account", "123456789012", "--", "-prefix", "A"}, "prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, tc.mention) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, a message mentioning %q", code, out, errOut, tc.mention)
			}
		})
	}
}
