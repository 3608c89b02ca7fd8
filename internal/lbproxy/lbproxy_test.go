package lbproxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type backend struct {
	name    string
	healthy atomic.Bool
	srv     *httptest.Server
}

func newBackend(t *testing.T, name string, healthy bool) *backend {
	b := &backend{name: name}
	b.healthy.Store(healthy)
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			if !b.healthy.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		io.WriteString(w, b.name)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func newProxy(t *testing.T, bs ...*backend) *Proxy {
	t.Helper()
	var us []*url.URL
	for _, b := range bs {
		u, _ := url.Parse(b.srv.URL)
		us = append(us, u)
	}
	p, err := New(us, Config{UnhealthyThreshold: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundRobinOverHealthyTargets(t *testing.T) {
	tests := []struct {
		name    string
		healthy []bool
		want    []string
	}{
		{"all healthy", []bool{true, true, true}, []string{"b0", "b1", "b2", "b0", "b1", "b2"}},
		{"one down", []bool{true, false, true}, []string{"b0", "b2", "b2", "b0", "b2", "b2"}},
		{"one left", []bool{false, true}, []string{"b1", "b1", "b1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var bs []*backend
			for i, h := range tc.healthy {
				bs = append(bs, newBackend(t, "b"+string(rune('0'+i)), h))
			}
			p := newProxy(t, bs...)
			p.Check(context.Background())
			var got []string
			for range tc.want {
				code, body := get(t, p, "/albums")
				if code != http.StatusOK {
					t.Fatalf("status %d", code)
				}
				got = append(got, body)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("targets (-want +got):\n%s", d)
			}
		})
	}
}

func TestNoHealthyTargets(t *testing.T) {
	p := newProxy(t, newBackend(t, "b0", false))
	p.Check(context.Background())
	if code, _ := get(t, p, "/images"); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", code)
	}
	if code, _ := get(t, p, "/lb/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("lb health %d, want 503", code)
	}
}

func TestTargetRecoversAndFails(t *testing.T) {
	b0, b1 := newBackend(t, "b0", true), newBackend(t, "b1", false)
	p := newProxy(t, b0, b1)
	ctx := context.Background()
	p.Check(ctx)
	if got := p.Healthy(); got != 1 {
		t.Fatalf("healthy = %d, want 1", got)
	}
	b1.healthy.Store(true)
	b0.healthy.Store(false)
	p.Check(ctx)
	if d := cmp.Diff(map[string]bool{b0.srv.URL: false, b1.srv.URL: true}, p.Status()); d != "" {
		t.Fatalf("status (-want +got):\n%s", d)
	}
	b1.srv.Close() // a target that goes away fails its check
	p.Check(ctx)
	if got := p.Healthy(); got != 0 {
		t.Fatalf("healthy = %d, want 0", got)
	}
}

func TestNewWithoutTargets(t *testing.T) {
	if _, err := New(nil, Config{}, nil); err != ErrNoTargets {
		t.Fatalf("err = %v", err)
	}
}
