package diff_test

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff"
)

// finding is a disagreement between the two renderers that synth-diff
// found and that is still open. The equivalence tests accept exactly these:
// they fail when a new difference appears and when one of these is fixed
// (delete it here then), so the list stays the truth.
type finding struct {
	Kind, Property string
	// Side is the renderer whose output departs from the model (terraform
	// or cloudformation): the hand-written examples follow the model, so a
	// pair of one of them and that renderer's output shows the finding.
	Side string `cmp:"-"`
	Why  string `cmp:"-"`
}

// openFindings lists the open findings of a synth case: none. The four
// synth-diff first found (VPC DNS hostnames, table deletion protection,
// both health-check thresholds) and the three of the Auto Scaling group's
// rolling update (Terraform's pause, CloudFormation's suspended processes,
// Terraform's batch of max_healthy_percentage 200) were fixed by moving
// those settings into the model (RollingUpdate.PauseSec,
// SuspendProcesses, MaxHealthyPercent = 100 + one server's share).
func openFindings(string) []finding { return nil }

// checkFindings fails unless the report differs in exactly the open
// findings of the case, with nothing on one side only and nothing
// unsupported.
func checkFindings(t *testing.T, name string, r *diff.Report) {
	t.Helper()
	type kp struct{ Kind, Property string }
	seen := map[kp]bool{}
	for _, d := range r.Different {
		seen[kp{d.Kind, d.Property}] = true
	}
	var got, want []kp
	for k := range seen {
		got = append(got, k)
	}
	for _, f := range openFindings(name) {
		want = append(want, kp{f.Kind, f.Property})
	}
	less := func(s []kp) func(i, j int) bool {
		return func(i, j int) bool {
			if s[i].Kind != s[j].Kind {
				return s[i].Kind < s[j].Kind
			}
			return s[i].Property < s[j].Property
		}
	}
	sort.Slice(got, less(got))
	sort.Slice(want, less(want))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: differing properties are not the open findings (-want +got):\n%s", name, d)
	}
	if len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
		t.Errorf("%s: entities on one side only: terraform %v, cloudformation %v", name, r.OnlyTerraform, r.OnlyCloudFormation)
	}
	if len(r.Unsupported) > 0 {
		t.Errorf("%s: unsupported resources: %v", name, r.Unsupported)
	}
}

// TestOursCompareEqual: the two synthesized outputs of each case describe
// the same system, but for the open findings.
func TestOursCompareEqual(t *testing.T) {
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			tf, cf := fixture(t, name)
			r, err := diff.Run(tf, cf)
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, name, r)
		})
	}
}
