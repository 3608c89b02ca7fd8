package cdktf_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
)

// retainedAddresses are the resources a destroy with destroy_data=false
// keeps, written from the issue ("the bucket and every bucket
// sub-resource, both tables"), not read from the renderer.
var retainedAddresses = []string{
	"aws_dynamodb_table.AlbumsTable",
	"aws_dynamodb_table.ImagesTable",
	"aws_s3_bucket.ImagesBucket",
	"aws_s3_bucket_lifecycle_configuration.ImagesBucket",
	"aws_s3_bucket_policy.ImagesBucket",
	"aws_s3_bucket_public_access_block.ImagesBucket",
	"aws_s3_bucket_server_side_encryption_configuration.ImagesBucket",
	"aws_s3_bucket_versioning.ImagesBucket",
}

// handoverJSON is a synthesized configuration with its handover blocks.
type handoverJSON struct {
	Resource map[string]map[string]map[string]any `json:"resource"`
	Data     map[string]map[string]map[string]any `json:"data"`
	Output   map[string]map[string]any            `json:"output"`
	Removed  []struct {
		From      string `json:"from"`
		Lifecycle struct {
			Destroy *bool `json:"destroy"`
		} `json:"lifecycle"`
	} `json:"removed"`
	Import []struct {
		To string `json:"to"`
		ID string `json:"id"`
	} `json:"import"`
}

// synthCase synthesizes testdata/<name> with extra flags over its file.
func synthCase(t *testing.T, root, name string, flags ...string) (*constructs.System, []byte, handoverJSON) {
	t.Helper()
	cfg, err := config.Load(append([]string{"-config", filepath.Join("testdata", name, "twinstack.json")}, flags...), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		t.Fatal(err)
	}
	_, b := synth(t, cfg, sys, root, t.TempDir())
	var h handoverJSON
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return sys, b, h
}

// addresses lists the resources of a configuration as type.name.
func (h handoverJSON) addresses() map[string]bool {
	out := map[string]bool{}
	for typ, byName := range h.Resource {
		for name := range byName {
			out[typ+"."+name] = true
		}
	}
	return out
}

// stripped is the configuration's resources and outputs without cdktf's
// "//" metadata, as JSON text.
func (h handoverJSON) stripped(t *testing.T) string {
	t.Helper()
	res := map[string]map[string]map[string]any{}
	for typ, byName := range h.Resource {
		res[typ] = map[string]map[string]any{}
		for name, body := range byName {
			res[typ][name] = strip(body)
		}
	}
	out := map[string]map[string]any{}
	for name, body := range h.Output {
		out[name] = strip(body)
	}
	b, err := json.Marshal(map[string]any{"resource": res, "output": out})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHandover checks the two handover deploys against the same
// configuration without them: release_data leaves out exactly the
// retained resources, forgets each with a `removed` block (destroy =
// false) and reads the bucket and tables through data sources where the
// rest refers to them, changing nothing else; adopt_data changes no
// resource and imports each retained one by its name.
func TestHandover(t *testing.T) {
	root := fakeRoot(t)
	// base is the case with its handover setting (flag) turned off.
	base := func(t *testing.T, name, flag string) (*constructs.System, handoverJSON) {
		sys, _, h := synthCase(t, root, name, flag+"=false")
		// The renderer's own list of a node's resources must be the
		// issue's: a new bucket-level resource needs a decision here.
		var got []string
		for a := range h.addresses() {
			for _, k := range sys.Retained() {
				if strings.HasSuffix(a, "."+string(k.ID)) {
					got = append(got, a)
				}
			}
		}
		if diff := cmp.Diff(retainedAddresses, sorted(got)); diff != "" {
			t.Fatalf("resources of the retained nodes in a plain deploy (-issue +rendered):\n%s", diff)
		}
		return sys, h
	}

	t.Run("release", func(t *testing.T) {
		_, plain := base(t, "release", "-release-data")
		sys, b, h := synthCase(t, root, "release")
		if sys.Handover != constructs.Release {
			t.Fatalf("handover = %q", sys.Handover)
		}
		var from []string
		for _, r := range h.Removed {
			from = append(from, r.From)
			if r.Lifecycle.Destroy == nil || *r.Lifecycle.Destroy {
				t.Errorf("removed %s: lifecycle.destroy = %v, want false", r.From, r.Lifecycle.Destroy)
			}
		}
		if diff := cmp.Diff(retainedAddresses, sorted(from)); diff != "" {
			t.Errorf("removed blocks (-want +got):\n%s", diff)
		}
		for _, a := range retainedAddresses {
			if h.addresses()[a] {
				t.Errorf("%s is still a resource: Terraform refuses a removed block for it", a)
			}
		}
		if len(h.Import) > 0 {
			t.Errorf("release imports %v", h.Import)
		}
		// Nothing refers to a released resource any more.
		var rest map[string]any
		if err := json.Unmarshal(b, &rest); err != nil {
			t.Fatal(err)
		}
		delete(rest, "removed")
		restJSON, _ := json.Marshal(rest)
		for _, a := range retainedAddresses {
			if re := regexp.MustCompile(`(^|[^.\w])` + regexp.QuoteMeta(a) + `\b`); re.Match(restJSON) {
				t.Errorf("the configuration still refers to %s: %s", a, re.Find(restJSON))
			}
		}
		// The bucket and tables are read where they are, by name.
		wantData := map[string]map[string]any{
			"aws_s3_bucket.ImagesBucket":     {"bucket": "twinstack-images-" + account + "-us-east-1"},
			"aws_dynamodb_table.ImagesTable": {"name": "twinstack-images"},
			"aws_dynamodb_table.AlbumsTable": {"name": "twinstack-albums"},
		}
		for a, want := range wantData {
			typ, name, _ := strings.Cut(a, ".")
			got, ok := h.Data[typ][name]
			if !ok {
				t.Errorf("data %s missing", a)
				continue
			}
			diff(t, "data "+a, want, strip(got))
		}
		// Everything else is the plain deploy's, read through the data
		// sources: the deploy changes nothing but the state.
		got := h.stripped(t)
		for _, a := range retainedAddresses {
			got = strings.ReplaceAll(got, "${data."+a+".", "${"+a+".")
		}
		for _, a := range retainedAddresses {
			typ, name, _ := strings.Cut(a, ".")
			delete(plain.Resource[typ], name)
			if len(plain.Resource[typ]) == 0 {
				delete(plain.Resource, typ)
			}
		}
		if d := cmp.Diff(plain.stripped(t), got); d != "" {
			t.Errorf("the rest differs from the plain deploy (-plain +release):\n%s", d)
		}
	})

	t.Run("adopt", func(t *testing.T) {
		_, plain := base(t, "adopt", "-adopt-data")
		sys, _, h := synthCase(t, root, "adopt")
		if sys.Handover != constructs.Adopt {
			t.Fatalf("handover = %q", sys.Handover)
		}
		if d := cmp.Diff(plain.stripped(t), h.stripped(t)); d != "" {
			t.Errorf("adopting changes resources (-plain +adopt):\n%s", d)
		}
		if len(h.Removed) > 0 {
			t.Errorf("adopt removes %v", h.Removed)
		}
		// Each import's id is what the provider imports the resource by:
		// the bucket's name for the bucket and its bucket-level
		// resources, the table's name for a table.
		want := map[string]string{}
		for _, a := range retainedAddresses {
			switch {
			case strings.HasSuffix(a, ".ImagesBucket"):
				want[a] = "twinstack-images-" + account + "-us-east-1"
			case strings.HasSuffix(a, ".ImagesTable"):
				want[a] = "twinstack-images"
			case strings.HasSuffix(a, ".AlbumsTable"):
				want[a] = "twinstack-albums"
			}
		}
		got := map[string]string{}
		for _, im := range h.Import {
			if _, dup := got[im.To]; dup {
				t.Errorf("%s imported twice", im.To)
			}
			got[im.To] = im.ID
			if !h.addresses()[im.To] {
				t.Errorf("import to %s: no such resource", im.To)
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("import blocks (-want +got):\n%s", d)
		}
	})

	t.Run("destroy_data keeps nothing to hand over", func(t *testing.T) {
		_, _, h := synthCase(t, root, "count3")
		if len(h.Removed)+len(h.Import) > 0 {
			t.Errorf("removed %v, import %v", h.Removed, h.Import)
		}
	})
}
