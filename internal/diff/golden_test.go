package diff_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff"
)

// TestGoldenReports renders the report of each synth case in every format
// and compares it with testdata/report/<case>.<ext>; -update rewrites them.
func TestGoldenReports(t *testing.T) {
	formats := map[diff.Format]string{diff.Table: "txt", diff.JSON: "json", diff.Markdown: "md"}
	for _, name := range append(cases, "mutated") {
		var tf, cf diff.Input
		if name == "mutated" {
			tf, cf = mutatedPair(t)
		} else {
			tf, cf = fixture(t, name)
		}
		// Paths as a user would pass them, independent of the test's
		// working directory.
		tf.Path, cf.Path = "cdktf.out/stacks/"+name+"/cdk.tf.json", "cdk.out/"+name+".template.json"
		r := run(t, tf, cf)
		for f, ext := range formats {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				var b bytes.Buffer
				if err := r.Write(&b, f); err != nil {
					t.Fatal(err)
				}
				file := filepath.Join("testdata", "report", name+"."+ext)
				if *update {
					if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (go test ./internal/diff -run TestGoldenReports -update)", err)
				}
				if d := cmp.Diff(string(want), b.String()); d != "" {
					t.Errorf("%s differs (-want +got; -update rewrites it):\n%s", file, d)
				}
			})
		}
	}
}

// mutatedPair is count2 with a difference of every kind the report shows:
// a changed scalar, a changed rule set, a changed script line, an entity on
// one side only and a resource type diff does not understand.
func mutatedPair(t *testing.T) (tf, cf diff.Input) {
	tf, cf = fixture(t, "count2")
	td, cd := decode(t, tf.Data), decode(t, cf.Data)
	set(t, td, tfFunction+".memory_size", 512)
	set(t, cd, "Resources.ServerSecurityGroupIngressFromLoadBalancerSecurityGroup8080.Properties.FromPort", 8000)
	set(t, cd, "Resources.ServerSecurityGroupIngressFromLoadBalancerSecurityGroup8080.Properties.ToPort", 8999)
	replaceText(t, cd, cfTemplate+".UserData", "Restart=always", "Restart=on-failure")
	del(t, td, "output.FunctionName")
	set(t, cd, "Resources.Alarm", map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{"Threshold": 1}})
	tf.Data, cf.Data = encode(t, td), encode(t, cd)
	return tf, cf
}
