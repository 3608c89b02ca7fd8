package lbproxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestMaxInFlight: with a cap of one request per target, concurrent
// requests queue instead of overlapping on a target (the Lambda emulator
// crashes on overlapping invocations), and all of them are answered.
func TestMaxInFlight(t *testing.T) {
	var cur, peak, served atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			t.Error("health check sent with NoHealthCheck")
		}
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		cur.Add(-1)
		served.Add(1)
		io.WriteString(w, "ok")
	})
	var us []*url.URL
	for range 2 {
		srv := httptest.NewServer(handler)
		t.Cleanup(srv.Close)
		u, _ := url.Parse(srv.URL)
		us = append(us, u)
	}
	p, err := New(us, Config{NoHealthCheck: true, MaxInFlight: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Check(context.Background())
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)

	const requests = 8
	var wg sync.WaitGroup
	codes := make(chan int, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(front.URL + "/invoke")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("status %d", c)
		}
	}
	if served.Load() != requests {
		t.Errorf("served %d, want %d", served.Load(), requests)
	}
	// Two targets, one request each at a time.
	if got := peak.Load(); got > 2 {
		t.Errorf("peak concurrency %d over 2 targets with MaxInFlight 1", got)
	}
}

// TestMaxInFlightWaitEndsWithRequest: a request waiting for a busy target
// gives up when its client does.
func TestMaxInFlightWaitEndsWithRequest(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	u, _ := url.Parse(srv.URL)
	p, err := New([]*url.URL{u}, Config{NoHealthCheck: true, MaxInFlight: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go p.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/busy", nil))
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		p.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/waits", nil).WithContext(ctx))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("waiting request did not end with its context")
	}
}
