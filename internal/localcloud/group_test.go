package localcloud

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/proc"
)

// TestGroupHooksParent: a stand-in goes on while the record lists it; it
// gets a minute to be listed after its start; once listed, a record
// without it, or no record, stops it.
func TestGroupHooksParent(t *testing.T) {
	const pid = 4242
	dir := t.TempDir()
	rec := filepath.Join(dir, "local.json")
	save := func(pids ...int) {
		t.Helper()
		r := &Record{}
		for _, p := range pids {
			r.Processes = append(r.Processes, Proc{Ref: proc.Ref{PID: p}})
		}
		if err := SaveRecord(rec, r); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }

	save(1) // the record exists, not listing it yet
	parent, _ := GroupHooks(rec, "", pid, clock)
	if !parent() {
		t.Fatal("stopped before local up could record it")
	}
	now = now.Add(61 * time.Second)
	if parent() {
		t.Fatal("goes on a minute after its start without ever being recorded")
	}

	parent, _ = GroupHooks(rec, "", pid, clock)
	save(1, pid)
	if !parent() {
		t.Fatal("stopped while recorded")
	}
	save(1) // recorded, then no longer: taken down
	if parent() {
		t.Fatal("goes on after the record dropped it")
	}

	parent, _ = GroupHooks(rec, "", pid, clock)
	save(pid)
	parent()
	os.Remove(rec)
	if parent() {
		t.Fatal("goes on without a record")
	}
}

func TestGroupHooksChildren(t *testing.T) {
	path := filepath.Join(t.TempDir(), "group-terraform.json")
	_, onChildren := GroupHooks("", path, 1, time.Now)
	want := []proc.Ref{{Name: "server-terraform-i-1", PID: 10, PGID: 9, Start: 123, Log: "/l"}}
	onChildren(want)
	got, err := loadChildren(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	onChildren(nil)
	if got, _ := loadChildren(path); len(got) != 0 {
		t.Fatalf("after the last server stopped: %v", got)
	}
	if got, err := loadChildren(filepath.Join(t.TempDir(), "none.json")); err != nil || got != nil {
		t.Fatalf("missing file: %v, %v", got, err)
	}
}
