package albums_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest/ingesttest"
)

func newStore(t *testing.T) (*albums.Store, *ingesttest.DB) {
	db := ingesttest.NewDB()
	db.CreateTable("albums", "id")
	return albums.New(db, "albums"), db
}

func TestValidate(t *testing.T) {
	ok := albums.Album{ID: "4", Title: "Kind of Blue", Artist: "Miles Davis", Price: 19.99}
	tests := []struct {
		name string
		edit func(*albums.Album)
		want string // substring of the message; "" = valid
	}{
		{"valid", func(*albums.Album) {}, ""},
		{"free", func(a *albums.Album) { a.Price = 0 }, ""},
		{"missing id", func(a *albums.Album) { a.ID = "" }, "id is required"},
		{"id with slash", func(a *albums.Album) { a.ID = "a/b" }, "id must be"},
		{"long id", func(a *albums.Album) { a.ID = strings.Repeat("a", 65) }, "id must be"},
		{"missing title", func(a *albums.Album) { a.Title = "  " }, "title is required"},
		{"padded artist", func(a *albums.Album) { a.Artist = " Miles" }, "artist has leading"},
		{"control", func(a *albums.Album) { a.Title = "a\x00b" }, "title contains control"},
		{"long title", func(a *albums.Album) { a.Title = strings.Repeat("é", 201) }, "title is longer"},
		{"negative", func(a *albums.Album) { a.Price = -1 }, "price must be between"},
		{"huge", func(a *albums.Album) { a.Price = 1e7 }, "price must be between"},
		{"nan", func(a *albums.Album) { a.Price = math.NaN() }, "price must be between"},
		{"fractions of cents", func(a *albums.Album) { a.Price = 1.999 }, "two decimals"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := ok
			tc.edit(&a)
			err := a.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.MessageOf(err), tc.want) {
				t.Errorf("Validate() = %v, want invalid_request with %q", err, tc.want)
			}
		})
	}
}

func TestSeedConcurrently(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for i := range counts {
		wg.Go(func() {
			n, err := s.Seed(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != 3 {
		t.Errorf("seeds written %d times in all, want 3", total)
	}
	got, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(albums.Seeds(), got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestSeedKeepsChanges(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, albums.Album{ID: "2", Title: "Changed", Artist: "Someone", Price: 1}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Seed(ctx); err != nil || n != 2 {
		t.Fatalf("Seed = %d, %v; want 2", n, err)
	}
	a, err := s.Get(ctx, "2")
	if err != nil || a.Title != "Changed" {
		t.Errorf("seed overwrote album 2: %+v %v", a, err)
	}
}

func TestCreateGetList(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	a := albums.Album{ID: "10", Title: "Kind of Blue", Artist: "Miles Davis", Price: 19.99}
	if _, err := s.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, a); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := s.Create(ctx, albums.Album{ID: "x"}); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("invalid: %v", err)
	}
	got, err := s.Get(ctx, "10")
	if err != nil || got != a {
		t.Errorf("Get = %+v, %v", got, err)
	}
	for _, id := range []string{"11", "", "../x"} {
		if _, err := s.Get(ctx, id); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("Get(%q) = %v", id, err)
		}
	}
	s.Seed(ctx)
	list, _ := s.List(ctx)
	var ids []string
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	if d := cmp.Diff([]string{"1", "2", "3", "10"}, ids); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	db.Hook = func(op, table string) error { return errors.New("down") }
	if _, err := s.List(ctx); apperr.CodeOf(err) != apperr.StorageUnavailable {
		t.Errorf("List with the store down: %v", err)
	}
	if err := s.Ready(ctx); err == nil {
		t.Error("Ready with the store down")
	}
}
