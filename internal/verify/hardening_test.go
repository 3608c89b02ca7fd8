package verify

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
)

// patchGap is a patchable gap entry for check id that observes observed.
func patchGap(id, observed string) string {
	return `{"id":"g","deployment":"cloudformation","check":"` + id + `","matches":1,"observed":"` + observed + `","seen_on":"5.2.1","patch":true}`
}

// The hardening checks' values, as a drift or as a patched gap.
func TestHardeningValues(t *testing.T) {
	sys := defaultSystem(t)
	const expire = "bucket.lifecycle." + constructs.RuleExpireNoncurrent
	rule := func(status s3types.ExpirationStatus, days int32, prefix string) func(w *world) {
		return func(w *world) {
			for i := range w.lifecycle {
				if aws.ToString(w.lifecycle[i].ID) == constructs.RuleExpireNoncurrent {
					w.lifecycle[i].Status = status
					w.lifecycle[i].NoncurrentVersionExpiration.NoncurrentDays = aws.Int32(days)
					w.lifecycle[i].Filter = &s3types.LifecycleRuleFilter{Prefix: aws.String(prefix)}
				}
			}
		}
	}
	ttl := func(attr string, st ddbtypes.TimeToLiveStatus) func(w *world) {
		return func(w *world) {
			w.ttl[sys.ImagesTable.Name] = &ddbtypes.TimeToLiveDescription{AttributeName: aws.String(attr), TimeToLiveStatus: st}
		}
	}
	for _, tc := range []struct {
		name, check string
		change      func(w *world)
		status      Status
		got         string
	}{
		{"other days", expire, rule(s3types.ExpirationStatusEnabled, 365, ""), Drift, "enabled: expire noncurrent versions after 365 d"},
		{"rule disabled", expire, rule(s3types.ExpirationStatusDisabled, 30, ""), Drift, "disabled: expire noncurrent versions after 30 d"},
		{"rule for a prefix", expire, rule(s3types.ExpirationStatusEnabled, 30, "tmp/"), Drift, "enabled: expire noncurrent versions after 30 d (only tmp/)"},
		{"rule also expires objects", expire, func(w *world) {
			rule(s3types.ExpirationStatusEnabled, 30, "")(w)
			w.lifecycle[1].Expiration = &s3types.LifecycleExpiration{Days: aws.Int32(7)}
		}, Drift, "enabled: expire noncurrent versions after 30 d; also expires current objects"},
		{"no such rule", expire, func(w *world) { w.lifecycle = w.lifecycle[:1] }, Missing, ""},
		{"no lifecycle configuration", expire, func(w *world) { w.lifecycle = nil }, Missing, ""},
		// No table of the model has a TTL: one would delete items.
		{"ttl enabled", "table.ImagesTable.ttl", ttl("expires_at", ddbtypes.TimeToLiveStatusEnabled), Drift, "expires_at enabled"},
		{"ttl being enabled", "table.ImagesTable.ttl", ttl("ttl", ddbtypes.TimeToLiveStatusEnabling), Drift, "ttl enabling"},
		// Each instance's own hop limit, and the template's.
		{"hop limit unset", "asg.ServerGroup.instances.imds-hop-limit", func(w *world) {
			for i := range w.instances {
				m := *w.instances[i].MetadataOptions
				m.HttpPutResponseHopLimit = nil
				w.instances[i].MetadataOptions = &m
			}
		}, Drift, "unset"},
		{"no metadata options", "asg.ServerGroup.instances.imds-hop-limit", func(w *world) { w.instances[1].MetadataOptions = nil }, Drift, "1, unset"},
		{"template hop limit unset", "launch-template.ServerLaunchTemplate.imds-hop-limit", func(w *world) {
			m := *w.latestData().MetadataOptions
			m.HttpPutResponseHopLimit = nil
			w.latestData().MetadataOptions = &m
		}, Drift, "unset"},
		{"unreserved", "function.reserved-concurrency", func(w *world) { w.reserved = nil }, Drift, "unreserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := conforming(sys)
			tc.change(w)
			got := byID(run(t, sys, w, Options{Deployment: "terraform"}))[tc.check]
			if got.Status != tc.status || got.got() != tc.got {
				t.Errorf("%s, want %s %q", Line(got), tc.status, tc.got)
			}
			if tc.status == Missing && got.Got != nil {
				t.Errorf("missing with a value: %s", Line(got))
			}
			// The observation, as a gap entry, is patched back to the model
			// (a TTL being enabled is already on its way; the template is
			// not patched: a new version would not reach the instances).
			if got.got() == "ttl enabling" || strings.HasPrefix(tc.check, "launch-template.") {
				return
			}
			w = conforming(sys)
			tc.change(w)
			rep := run(t, sys, w, Options{Deployment: "cloudformation", Patch: true, Gaps: gapList(t, patchGap(tc.check, got.Observation()))})
			if x := byID(rep)[tc.check]; x.Status != Patched {
				t.Errorf("patch: %s", Line(x))
			}
		})
	}
}

// A lifecycle read the API refuses is an error, not missing.
func TestLifecycleReadDenied(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.failCode = "AccessDenied"
	got := byID(run(t, sys, w, Options{Deployment: "terraform"}))["bucket.lifecycle."+constructs.RuleAbortMultipart]
	if got.Status != Error || got.Got != nil || !strings.Contains(got.Note, "AccessDenied") {
		t.Errorf("%s", Line(got))
	}
}

// The lifecycle patch writes exactly the model's rules: a rule the model
// does not have goes too.
func TestLifecyclePatchIsExact(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.lifecycle = []s3types.LifecycleRule{{ID: aws.String("delete-everything"), Status: s3types.ExpirationStatusEnabled, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(1)}}}
	gaps := gapList(t, `{"id":"l","deployment":"cloudformation","check":"bucket.lifecycle.*","matches":2,"observed":"(not found)","seen_on":"5.2.1","patch":true}`)
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Patch: true, Gaps: gaps})
	// The extra rule is no emulator gap: it is reported (drift), and the
	// rules' patch removed it all the same.
	extra := byID(rep)["bucket.lifecycle-rules.nothing-else"]
	if rep.Summary.Patched != 2 || rep.Summary.Drift != 1 || extra.Status != Drift || !strings.Contains(extra.got(), "delete-everything") {
		t.Fatalf("summary %+v; %s", rep.Summary, Line(extra))
	}
	if d := cmp.Diff(modelLifecycle(&sys.Bucket), w.lifecycle, cmp.AllowUnexported(s3types.LifecycleRule{}, s3types.LifecycleRuleFilter{}, s3types.AbortIncompleteMultipartUpload{}, s3types.NoncurrentVersionExpiration{})); d != "" {
		t.Errorf("lifecycle after the patch (-want +got):\n%s", d)
	}
}

// A TTL on an attribute the model does not name is turned off before the
// model's is turned on (a table has at most one).
func TestTTLPatchReplacesAttribute(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.ttl[sys.ImagesTable.Name] = &ddbtypes.TimeToLiveDescription{AttributeName: aws.String("ttl"), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}
	w.ttl[sys.AlbumsTable.Name] = &ddbtypes.TimeToLiveDescription{AttributeName: aws.String("ttl"), TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}
	gaps := gapList(t, `{"id":"t","deployment":"cloudformation","check":"table.*.ttl","matches":2,"observed":"ttl enabled","seen_on":"5.2.1","patch":true}`)
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Patch: true, Gaps: gaps})
	if rep.Summary.Patched != 2 || len(notConforming(sys, rep)) > 0 {
		t.Fatalf("summary %+v: %v", rep.Summary, notConforming(sys, rep))
	}
	if d := w.ttl[sys.AlbumsTable.Name]; d != nil {
		t.Errorf("albums table ttl %+v, want none", d)
	}
}

// The hop-limit patch leaves the other metadata options as they are, on
// every instance of the group.
func TestHopLimitPatchKeepsTokens(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	for i := range w.instances {
		w.instances[i].MetadataOptions = &ec2types.InstanceMetadataOptionsResponse{HttpTokens: ec2types.HttpTokensStateRequired, HttpPutResponseHopLimit: aws.Int32(2)}
	}
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Patch: true, Gaps: gapList(t, patchGap("asg.ServerGroup.instances.imds-hop-limit", "2"))})
	if rep.Summary.Patched != 1 || len(notConforming(sys, rep)) > 0 {
		t.Fatalf("summary %+v: %v", rep.Summary, notConforming(sys, rep))
	}
	for _, x := range w.instances {
		if m := x.MetadataOptions; m.HttpTokens != ec2types.HttpTokensStateRequired || aws.ToInt32(m.HttpPutResponseHopLimit) != int32(sys.Servers.Template.MetadataHopLimit) {
			t.Errorf("%s: %+v", aws.ToString(x.InstanceId), *m)
		}
	}
}

// grants-beyond-model accepts exactly the model's grants (the SSM agent's
// actions on "*" among them) and the renderers' artifact read, and lists
// anything else.
func TestGrantsBeyondModel(t *testing.T) {
	sys := defaultSystem(t)
	ro := sys.Role("ServerRole")
	r := &reader{sys: sys, account: fakeAccount, region: sys.Region, memo: map[string]memoEntry{}}
	images := "arn:aws:dynamodb:" + sys.Region + ":" + fakeAccount + ":table/" + sys.ImagesTable.Name
	bucket := "arn:aws:s3:::" + strings.ReplaceAll(sys.Bucket.Name, constructs.AccountToken, fakeAccount)
	allow := func(actions []string, resources ...string) statement {
		return statement{Effect: "Allow", Actions: actions, Resources: resources}
	}
	for _, tc := range []struct {
		name string
		sts  []statement
		want []string
	}{
		{"the SSM agent on *", []statement{allow(constructs.SSMAgentActions(), "*")}, nil},
		{"an action injected into the SSM agent's statement", []statement{allow(append(constructs.SSMAgentActions(), "s3:Nothing"), "*")}, []string{"s3:Nothing on *"}},
		{"a model action on *", []statement{allow([]string{"dynamodb:GetItem"}, "*")}, []string{"dynamodb:GetItem on *"}},
		{"an action wildcard", []statement{allow([]string{"dynamodb:*"}, images)}, []string{"dynamodb:* on " + images}},
		{"an extra action on a model resource", []statement{allow([]string{"dynamodb:GetItem", "dynamodb:DeleteTable"}, images)}, []string{"dynamodb:DeleteTable on " + images}},
		{"a model action on a wider resource", []statement{allow([]string{"dynamodb:GetItem"}, images+"*")}, []string{"dynamodb:GetItem on " + images + "*"}},
		{"a narrower resource", []statement{allow([]string{"s3:PutObject"}, bucket+"/"+constructs.ImagesPrefix+"a.png")}, nil},
		{"the artifact read", []statement{allow([]string{"s3:GetObject"}, "arn:aws:s3:::artifacts/server-linux-arm64")}, nil},
		{"a read of the whole image bucket", []statement{allow([]string{"s3:GetObject"}, bucket+"/*")}, []string{"s3:GetObject on " + bucket + "/*"}},
		{"a deny", []statement{{Effect: "Deny", Actions: []string{"*"}, Resources: []string{"*"}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, r.grantsBeyond(ro, tc.sts)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
