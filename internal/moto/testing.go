package moto

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// RequireToolsEnv, when "1", turns a missing external tool into a test
// failure instead of a skip (CI sets it).
const RequireToolsEnv = "TWINSTACK_REQUIRE_TOOLS"

// RequireTool skips t when the executable name is not on PATH, or fails it
// when RequireToolsEnv=1.
func RequireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv(RequireToolsEnv) == "1" {
			t.Fatalf("%s is required (%s=1): %v", name, RequireToolsEnv, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
}

// StartT starts moto_server for a test on a free port and stops it in
// t.Cleanup (and, on Linux, when the test binary dies without cleanup). Its output goes to the test log only when the test fails.
func StartT(t testing.TB) *Server {
	t.Helper()
	return StartPortT(t, 0)
}

// StartPortT is StartT on a given port (0: a free one); tests use it to
// bring moto back on the port the code under test already knows.
func StartPortT(t testing.TB, port int) *Server {
	t.Helper()
	RequireTool(t, Binary)
	log := &logBuffer{}
	s, err := Start(context.Background(), Options{Port: port, Log: log, DieWithParent: true})
	if err != nil {
		t.Fatalf("start moto_server: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop moto_server: %v", err)
		}
		if t.Failed() && testing.Verbose() {
			t.Logf("moto_server output:\n%s", log.String())
		}
	})
	return s
}
