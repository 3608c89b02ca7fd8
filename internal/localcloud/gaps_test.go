package localcloud

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/twinstack/twinstack/internal/emugaps"
)

// The gap file describes today's emulator: every entry was seen on the
// installed moto. An entry from another version must be re-tested (the
// end-to-end test does) and its seen_on updated, or removed.
func TestGapFileSeenOnInstalledMoto(t *testing.T) {
	v := MotoVersion(context.Background())
	if v == "" {
		if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
			t.Fatal("moto is not installed: cannot tell its version")
		}
		t.Skip("moto is not installed")
	}
	l, err := emugaps.Load(filepath.Join("..", "..", emugaps.DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range l.Gaps {
		if emugaps.CompareVersions(g.SeenOn, v) != 0 {
			t.Errorf("%s: seen on moto %s, the installed moto is %s: re-test the entry (go test ./cmd/twinstack -run TestLocalCloudEndToEnd) and update seen_on or remove it", g.ID, g.SeenOn, v)
		}
	}
}
