package cdk

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// requireTool returns the path of an external tool. A missing tool skips
// the test, unless TWINSTACK_REQUIRE_TOOLS=1 (CI) makes it a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// expectedLint are cfn-lint findings that CDK itself causes.
var expectedLint = map[string]string{
	// DependsOn on a resource already referenced: the L2 Function (and
	// the auto-delete handler) depend on the role they GetAtt.
	"W3005": "redundant DependsOn written by CDK",
}

// testCfnLint runs the real cfn-lint on the synthesized template. Exit
// status bits: 2 errors, 4 warnings, 8 informational; errors fail.
func testCfnLint(t *testing.T, s *synthesized) {
	bin := requireTool(t, "cfn-lint")
	cmd := exec.Command(bin, "--format", "json", "--regions", s.sys.Region, "--", s.file)
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("cfn-lint: %v", err)
	}
	code := cmd.ProcessState.ExitCode()
	var findings []struct {
		Rule struct {
			Id string `json:"Id"`
		} `json:"Rule"`
		Level   string `json:"Level"`
		Message string `json:"Message"`
	}
	if err := json.Unmarshal(out, &findings); err != nil {
		t.Fatalf("cfn-lint exit %d, output %q: %v", code, out, err)
	}
	var seen []string
	for _, f := range findings {
		if _, ok := expectedLint[f.Rule.Id]; ok {
			continue
		}
		seen = append(seen, f.Level+" "+f.Rule.Id+": "+f.Message)
	}
	sort.Strings(seen)
	if code&2 != 0 || code&1 != 0 || code >= 16 {
		t.Errorf("cfn-lint exit %d:\n%s", code, strings.Join(seen, "\n"))
	} else if len(seen) > 0 {
		t.Errorf("unexpected cfn-lint findings (exit %d):\n%s", code, strings.Join(seen, "\n"))
	}
}
