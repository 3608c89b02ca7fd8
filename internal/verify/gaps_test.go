package verify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/emugaps"
)

func gapList(t *testing.T, entries string) *emugaps.List {
	t.Helper()
	l, err := emugaps.Parse([]byte(`{"emulator":"moto","gaps":[` + entries + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const versioningGap = `{"id":"v","deployment":"cloudformation","check":"bucket.versioning","matches":1,"observed":"","seen_on":"5.2.1","patch":true,"note":"never enabled"}`

// A gap entry applies only to the value it describes.
func TestGapMatchesObservationOnly(t *testing.T) {
	sys := defaultSystem(t)
	for _, tc := range []struct {
		name   string
		status s3types.BucketVersioningStatus
		patch  bool
		want   Status
		exit   int
		fixed  bool
	}{
		// Exit 3, not 0: the rolling update is always unverified.
		{"observed, patched", "", true, Patched, ExitUnverified, true},
		{"observed, patching off", "", false, Unverified, ExitUnverified, false},
		{"another value is drift", s3types.BucketVersioningStatusSuspended, true, Drift, ExitDrift, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := conforming(sys)
			w.versioning = tc.status
			rep := run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gapList(t, versioningGap), Patch: tc.patch, Emulator: "moto 5.2.1", EmulatorVersion: "5.2.1"})
			got := byID(rep)["bucket.versioning"]
			if got.Status != tc.want {
				t.Fatalf("%s, want %s", Line(got), tc.want)
			}
			if rep.ExitCode() != tc.exit {
				t.Errorf("exit %d, want %d", rep.ExitCode(), tc.exit)
			}
			if fixed := w.versioning == s3types.BucketVersioningStatusEnabled; fixed != tc.fixed {
				t.Errorf("versioning %q after the run", w.versioning)
			}
			if tc.want == Drift && (got.Gap != "" || !strings.Contains(got.Note, "not an emulator gap")) {
				t.Errorf("drift on a gap-listed check must name the entry it did not match: %+v", got)
			}
			if tc.want != Drift && got.Gap != "v" {
				t.Errorf("gap %q, want v", got.Gap)
			}
		})
	}
}

// A failed patch is an error, and a patch after which the value still
// differs is drift: neither passes.
func TestFailedPatches(t *testing.T) {
	sys := defaultSystem(t)
	for _, tc := range []struct {
		name  string
		setup func(*world)
		want  Status
	}{
		{"patch fails", func(w *world) { w.patchFail = "AccessDenied" }, Error},
		{"patch leaves a difference", func(w *world) { w.frozen = true }, Drift},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := conforming(sys)
			w.versioning = ""
			tc.setup(w)
			rep := run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gapList(t, versioningGap), Patch: true})
			got := byID(rep)["bucket.versioning"]
			if got.Status != tc.want {
				t.Fatalf("%s, want %s", Line(got), tc.want)
			}
			if len(rep.Failed()) != 1 || rep.ExitCode() == ExitOK || rep.ExitCode() == ExitUnverified {
				t.Errorf("exit %d, failed %v", rep.ExitCode(), rep.Failed())
			}
		})
	}
}

// Patches run after every check has been read, so four flags that share
// one API object are each observed, patched and re-verified.
func TestPatchesAfterObservations(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.pab = nil
	gaps := gapList(t, `{"id":"p","deployment":"cloudformation","check":"bucket.public-access-block.*","matches":4,"observed":"(not found)","seen_on":"5.2.1","patch":true}`)
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gaps, Patch: true})
	if rep.Summary.Patched != 4 || len(notConforming(sys, rep)) > 0 {
		t.Fatalf("summary %+v: %v", rep.Summary, notConforming(sys, rep))
	}
	t.Log(rep.Verdict())
}

// Patches are exact: they remove what the model does not have.
func TestExactPatches(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	ro := sys.Roles[0]
	want := append([]string(nil), w.attached[ro.Name]...)
	w.attached[ro.Name] = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
	lambda := sys.Groups[0]
	g := w.group(aws.String("sg-" + string(lambda.ID)))
	g.IpPermissionsEgress = append(g.IpPermissionsEgress, openEgress())
	gaps := gapList(t, `{"id":"m","deployment":"cloudformation","check":"role.`+string(ro.ID)+`.managed-policies","matches":1,"observed":"arn:aws:iam::aws:policy/AdministratorAccess","seen_on":"5.2.1","patch":true},
		{"id":"e","deployment":"cloudformation","check":"sg.`+string(lambda.ID)+`.egress.nothing-else","matches":1,"observed":"also all to 0.0.0.0/0","seen_on":"5.2.1","patch":true}`)
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gaps, Patch: true})
	if rep.Summary.Patched != 2 || len(notConforming(sys, rep)) > 0 {
		t.Fatalf("summary %+v: %v", rep.Summary, notConforming(sys, rep))
	}
	if d := cmp.Diff(want, w.attached[ro.Name]); d != "" {
		t.Errorf("managed policies after the patch (-want +got):\n%s", d)
	}
}

// A workaround recorded by local up makes exactly its observation
// unverified; another value is still drift.
func TestWorkarounds(t *testing.T) {
	sys := defaultSystem(t)
	wk := []Workaround{{Step: "remove bucket policies", Check: "bucket.policy.*", Observed: emugaps.NotFound}}
	w := conforming(sys)
	w.policy = nil
	got := byID(run(t, sys, w, Options{Deployment: "terraform", Workarounds: wk}))["bucket.policy.DenyInsecureTransport"]
	if got.Status != Unverified {
		t.Errorf("%s", Line(got))
	}
	w = conforming(sys)
	w.policy = aws.String(`{"Statement":[]}`)
	got = byID(run(t, sys, w, Options{Deployment: "terraform", Workarounds: wk}))["bucket.policy.DenyInsecureTransport"]
	if got.Status != Drift {
		t.Errorf("%s", Line(got))
	}
}

// An entry whose observation no longer reproduces is reported as stale;
// one seen on another emulator version as outdated.
func TestGapFileFindings(t *testing.T) {
	sys := defaultSystem(t)
	gaps := gapList(t, versioningGap+`,
		{"id":"old","deployment":"cloudformation","check":"table.ImagesTable.pitr","matches":1,"observed":"DISABLED","seen_on":"5.1.0","patch":true},
		{"id":"gone","deployment":"cloudformation","check":"vpc.dns-hostnames","matches":1,"observed":"false","seen_on":"5.2.1","patch":true}`)
	w := conforming(sys)
	w.versioning = ""
	w.pitr[sys.ImagesTable.Name] = "DISABLED"
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gaps, Patch: true, EmulatorVersion: "5.2.1"})
	var got []string
	for _, f := range rep.GapFile {
		got = append(got, f.ID+" "+f.Kind)
	}
	if d := cmp.Diff([]string{"old outdated", "gone stale"}, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if !strings.Contains(rep.Verdict(), "gap file: old outdated, gone stale") {
		t.Errorf("verdict %q", rep.Verdict())
	}
}

// The verdict never says "conforms" unqualified while anything is
// unverified, and the JSON carries every result with want and got.
func TestVerdictAndJSON(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.versioning = ""
	w.fn.Architectures = nil // the API's default is x86_64
	gaps := gapList(t, versioningGap+`,
		{"id":"a","deployment":"cloudformation","check":"function.architecture","matches":1,"observed":"x86_64","seen_on":"5.2.1","patch":false}`)
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gaps, Patch: true, Emulator: "moto 5.2.1"})
	n := rep.Summary.Total
	want := "cloudformation: conforms on " + itoa(n-3) + " of " + itoa(n) + " checks; 1 patched emulator gap; 2 unverified (" +
		"asg.ServerGroup.rolling-update: " + notReadable + "; " +
		"function.architecture: moto leaves x86_64)"
	if rep.Verdict() != want {
		t.Errorf("verdict\n got %q\nwant %q", rep.Verdict(), want)
	}
	if rep.ExitCode() != ExitUnverified {
		t.Errorf("exit %d", rep.ExitCode())
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Deployment, Emulator string
		Summary              map[string]int
		Results              []map[string]any
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Deployment != "cloudformation" || doc.Emulator != "moto 5.2.1" || doc.Summary["total"] != n || doc.Summary["patched"] != 1 || doc.Summary["unverified"] != 2 || len(doc.Results) != n {
		t.Errorf("json: %s", b[:200])
	}
	for _, r := range doc.Results {
		for _, k := range []string{"id", "resource", "property", "status", "want", "got", "gap", "note"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("result without %q: %v", k, r)
			}
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func openEgress() ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
}

// A check local up patched that shows the gap's observation again has
// drifted since: the emulator does not revert a setting by itself.
func TestPatchedBeforeThenChanged(t *testing.T) {
	sys := defaultSystem(t)
	gaps := gapList(t, versioningGap)
	before := map[string]string{"bucket.versioning": "v"}
	w := conforming(sys)
	got := byID(run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gaps, PatchedBefore: before}))["bucket.versioning"]
	if got.Status != Patched || got.Gap != "v" {
		t.Errorf("unchanged since local up: %s", Line(got))
	}
	w.versioning = ""
	got = byID(run(t, sys, w, Options{Deployment: "cloudformation", Gaps: gaps, PatchedBefore: before, Patch: true}))["bucket.versioning"]
	if got.Status != Drift {
		t.Errorf("changed since local up: %s", Line(got))
	}
}
