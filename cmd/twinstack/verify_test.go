package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Bad input to verify is an error (exit 2) with a clear message, before
// any AWS call.
func TestVerifyBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--deployment", "terraform", "--format", "xml"}, "--format must be text or json"},
		{[]string{"verify", "--deployment", "pulumi", "--dir", t.TempDir()}, "--deployment must be"},
		{[]string{"verify", "--no-such-flag"}, "no-such-flag"},
	} {
		var out, errOut bytes.Buffer
		code := Main(context.Background(), tc.args, func(string) string { return "" }, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}
