package constructs

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRetained lists what a destroy keeps from the model's own fields:
// every storage node whose Removal is Retain, named as it is deployed.
func TestRetained(t *testing.T) {
	sys, err := New(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	want := []Retained{
		{ID: sys.Bucket.ID, Name: sys.Bucket.Name, ImportProperty: "BucketName"},
		{ID: sys.ImagesTable.ID, Name: sys.ImagesTable.Name, ImportProperty: "TableName"},
		{ID: sys.AlbumsTable.ID, Name: sys.AlbumsTable.Name, ImportProperty: "TableName"},
	}
	if diff := cmp.Diff(want, sys.Retained()); diff != "" {
		t.Errorf("Retained (-want +got):\n%s", diff)
	}
	for _, n := range []Removal{sys.Bucket.Removal, sys.ImagesTable.Removal, sys.AlbumsTable.Removal} {
		if n != Retain {
			t.Errorf("default removal %q, want retain", n)
		}
	}
	// The artifacts bucket holds build output: emptied on destroy, never
	// handed over.
	store, err := sys.ArtifactStore()
	if err != nil {
		t.Fatal(err)
	}
	if store.Bucket.Removal != Destroy {
		t.Errorf("artifacts bucket removal %q, want destroy", store.Bucket.Removal)
	}
	for _, r := range sys.Retained() {
		if r.ID == store.Bucket.ID {
			t.Errorf("artifacts bucket retained")
		}
	}

	cfg := Defaults()
	cfg.DestroyData = true
	gone, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r := gone.Retained(); len(r) != 0 {
		t.Errorf("destroy_data=true retains %v", r)
	}
}

func TestHandoverFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name           string
		release, adopt bool
		want           Handover
	}{
		{"default", false, false, Manage},
		{"release_data", true, false, Release},
		{"adopt_data", false, true, Adopt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Defaults()
			cfg.ReleaseData, cfg.AdoptData = tc.release, tc.adopt
			sys, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if sys.Handover != tc.want {
				t.Errorf("Handover = %q, want %q", sys.Handover, tc.want)
			}
		})
	}
}

// TestHandoverRules: releasing and adopting are about the data
// destroy_data=false keeps, one at a time.
func TestHandoverRules(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		destroy, release, adopt bool
		field                   string
	}{
		{"release with destroy_data", true, true, false, "release_data"},
		{"adopt with destroy_data", true, false, true, "adopt_data"},
		{"release and adopt at once", false, true, true, "adopt_data"},
		{"release", false, true, false, ""},
		{"adopt", false, false, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Defaults()
			cfg.DestroyData, cfg.ReleaseData, cfg.AdoptData = tc.destroy, tc.release, tc.adopt
			err := cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("Validate = %v, want a %s error", err, tc.field)
			}
		})
	}
}

func TestImportMapping(t *testing.T) {
	cfg := Defaults()
	cfg.Prefix, cfg.Region = "acme", "eu-west-1"
	sys, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sys.ImportMapping("123456789012")
	if err != nil {
		t.Fatal(err)
	}
	want := map[ID]map[string]string{
		"ImagesBucket": {"BucketName": "acme-images-123456789012-eu-west-1"},
		"ImagesTable":  {"TableName": "acme-images"},
		"AlbumsTable":  {"TableName": "acme-albums"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ImportMapping (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "12345678901", "1234567890123", "12345678901a", "{account}"} {
		var fe *FieldError
		if _, err := sys.ImportMapping(bad); !errors.As(err, &fe) || fe.Field != "account" {
			t.Errorf("ImportMapping(%q) = %v, want an account error", bad, err)
		}
	}
	cfg.DestroyData = true
	gone, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.ImportMapping("123456789012"); !errors.Is(err, ErrNothingRetained) {
		t.Errorf("destroy_data=true: %v, want ErrNothingRetained", err)
	}
	if !strings.Contains(ErrNothingRetained.Error(), "destroy_data") {
		t.Errorf("the error does not say why: %v", ErrNothingRetained)
	}
}
