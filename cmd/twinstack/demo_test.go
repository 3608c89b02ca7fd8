package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestDemoScripts runs testdata/demo/*.txtar: the control flow of
// `twinstack demo` (which steps run, in which order, how each ends, what the
// summary says) against a stand-in twinstack binary, fake-twinstack.sh,
// copied into each script's $WORK as ./twinstack. `twinstack` in a script
// runs Main in-process.
func TestDemoScripts(t *testing.T) {
	fake, err := os.ReadFile(filepath.Join("testdata", "demo", "fake-twinstack.sh"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "demo"),
		Setup: func(env *testscript.Env) error {
			return os.WriteFile(filepath.Join(env.WorkDir, "twinstack"), fake, 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"twinstack": func(ts *testscript.TestScript, neg bool, args []string) {
				code := Main(context.Background(), args, ts.Getenv, ts.Stdout(), ts.Stderr())
				if code != 0 {
					ts.Stderr().Write([]byte("exit status " + strconv.Itoa(code) + "\n"))
				}
				if (code != 0) != neg {
					ts.Fatalf("twinstack %s: exit status %d", strings.Join(args, " "), code)
				}
			},
		},
	})
}
