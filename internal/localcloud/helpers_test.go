package localcloud

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCountResources(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, doc string
		want      int
	}{
		{"terraform", `{"resource":{"aws_s3_bucket":{"A":{},"B":{}},"aws_vpc":{"V":{}}},"data":{"aws_x":{"D":{}}}}`, 3},
		{"cloudformation", `{"Resources":{"A":{},"B":{}},"Outputs":{"O":{}}}`, 2},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, tc.name+".json")
		os.WriteFile(p, []byte(tc.doc), 0o644)
		n, size, err := countResources(p)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.want || size != len(tc.doc) {
			t.Errorf("%s: %d resources, %d bytes; want %d, %d", tc.name, n, size, tc.want, len(tc.doc))
		}
	}
}

func TestEnviron(t *testing.T) {
	got := Environ([]string{"PATH=/bin", "AWS_REGION=eu-west-1", "HOME=/root"}, map[string]string{"AWS_REGION": "us-east-1", "B": "2", "A": "1"})
	want := []string{"PATH=/bin", "HOME=/root", "A=1", "AWS_REGION=us-east-1", "B=2"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestDeploymentEnvGivesDistinctPrefixes(t *testing.T) {
	tf, cfn := DeploymentEnv("terraform", "http://localhost:1", 2), DeploymentEnv("cloudformation", "http://localhost:1", 2)
	if tf["TWINSTACK_PREFIX"] == cfn["TWINSTACK_PREFIX"] || tf["TWINSTACK_PREFIX"] == "" {
		t.Fatalf("prefixes %q and %q", tf["TWINSTACK_PREFIX"], cfn["TWINSTACK_PREFIX"])
	}
	get := Overlay(tf, func(k string) string { return "from-env-" + k })
	if get("TWINSTACK_INSTANCE_COUNT") != "2" || get("OTHER") != "from-env-OTHER" {
		t.Fatal("overlay does not prefer the deployment's settings")
	}
}

func TestIndent(t *testing.T) {
	var b bytes.Buffer
	w := indent(&b)
	w.Write([]byte("a\nb"))
	w.Write([]byte("c\n"))
	if want := "           a\n           bc\n"; b.String() != want {
		t.Fatalf("got %q want %q", b.String(), want)
	}
}
