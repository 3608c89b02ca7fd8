package entity_test

import (
	"testing"

	"github.com/twinstack/twinstack/internal/diff/cfn"
	"github.com/twinstack/twinstack/internal/diff/entity"
	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfjson"
)

// FuzzNormalize: whatever a reader accepts, the normaliser maps without
// panicking, every property renders, and the result is deterministic (a
// second mapping of the same document renders the same). Seeds:
// testdata/fuzz/FuzzNormalize.
func FuzzNormalize(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, cloudFormation bool) {
		build := func() *entity.Set {
			var doc *inventory.Document
			var err error
			if cloudFormation {
				doc, err = cfn.Read("fuzz.json", data)
			} else {
				doc, err = tfjson.Read("fuzz.tf.json", data)
			}
			if err != nil {
				return nil
			}
			var s *entity.Set
			if cloudFormation {
				s, err = entity.FromCloudFormation(doc)
			} else {
				s, err = entity.FromTerraform(doc)
			}
			if err != nil {
				t.Fatalf("mapping a document the reader accepted: %v", err)
			}
			return s
		}
		a := build()
		if a == nil {
			return
		}
		b := build()
		if len(a.Entities) != len(b.Entities) || len(a.Unsupported) != len(b.Unsupported) {
			t.Fatalf("not deterministic: %d/%d entities, %d/%d unsupported", len(a.Entities), len(b.Entities), len(a.Unsupported), len(b.Unsupported))
		}
		for i, e := range a.Entities {
			o := b.Entities[i]
			if e.Kind != o.Kind || e.Key != o.Key {
				t.Fatalf("not deterministic: %s %s vs %s %s", e.Kind, e.Key, o.Kind, o.Key)
			}
			for _, p := range entity.Properties(e.Kind) {
				x, y := e.Prop(p).Render(nil), o.Prop(p).Render(nil)
				if len(x) != len(y) {
					t.Fatalf("%s %s %s not deterministic: %q vs %q", e.Kind, e.Key, p, x, y)
				}
				for j := range x {
					if x[j] != y[j] {
						t.Fatalf("%s %s %s not deterministic: %q vs %q", e.Kind, e.Key, p, x, y)
					}
				}
			}
		}
	})
}
