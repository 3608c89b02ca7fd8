package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestStateAndLockingRow: the deployment comparison names where each
// toolchain keeps its state (issue 16), and "-" where it is not known.
func TestStateAndLockingRow(t *testing.T) {
	res, _ := fixture(t)
	res.Deployments[0].Toolchain.StateStore = "S3 object s3://ts-tfstate/ts-tf/terraform.tfstate, native lock file"
	res.Deployments[1].Toolchain.StateStore = ""
	var b bytes.Buffer
	if err := WriteMarkdown(&b, res); err != nil {
		t.Fatal(err)
	}
	var row string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, "state and locking") {
			row = line
		}
	}
	if !strings.Contains(row, "s3://ts-tfstate/ts-tf/terraform.tfstate, native lock file") || !strings.HasSuffix(strings.TrimSpace(row), "| - |") {
		t.Errorf("state and locking row = %q\n%s", row, b.String())
	}
}
