package lbproxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

// TestPoolAddRemove: a pool starts empty (503), takes targets as they are
// added and stops sending to one as soon as it is removed.
func TestPoolAddRemove(t *testing.T) {
	b0, b1 := newBackend(t, "b0", true), newBackend(t, "b1", true)
	p := NewPool(Config{NoHealthCheck: true}, nil)
	if code, _ := get(t, p, "/albums"); code != http.StatusServiceUnavailable {
		t.Fatalf("empty pool: status %d, want 503", code)
	}
	u0, _ := url.Parse(b0.srv.URL)
	u1, _ := url.Parse(b1.srv.URL)
	t0 := p.Add(u0)
	if again := p.Add(u0); again != t0 {
		t.Fatal("adding a URL twice made a second target")
	}
	p.Add(u1)
	seen := map[string]int{}
	for range 4 {
		_, body := get(t, p, "/albums")
		seen[body]++
	}
	if d := cmp.Diff(map[string]int{"b0": 2, "b1": 2}, seen); d != "" {
		t.Fatalf("round robin over two (-want +got):\n%s", d)
	}
	if !p.Remove(u0) || p.Remove(u0) {
		t.Fatal("Remove: want true once, then false")
	}
	for range 3 {
		if _, body := get(t, p, "/albums"); body != "b1" {
			t.Fatalf("after removing b0 a request went to %s", body)
		}
	}
	if got := t0.Stats().Requests; got != 2 {
		t.Errorf("b0 served %d requests, want 2", got)
	}
}

// TestRefusedConnectionRetried: a target whose process is gone (its port
// refuses connections) costs no request: a POST with a body is sent to the
// next target instead, body intact.
func TestRefusedConnectionRetried(t *testing.T) {
	var got []string
	var mu sync.Mutex
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
		io.WriteString(w, "live")
	}))
	t.Cleanup(live.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL, _ := url.Parse(dead.URL)
	dead.Close() // the port now refuses connections
	liveURL, _ := url.Parse(live.URL)
	p := NewPool(Config{NoHealthCheck: true}, nil)
	td := p.Add(deadURL)
	p.Add(liveURL)
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	for i := range 4 {
		body := fmt.Sprintf(`{"n":%d}`, i)
		resp, err := http.Post(front.URL+"/images", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != "live" {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, b)
		}
	}
	if d := cmp.Diff([]string{`{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`}, got); d != "" {
		t.Errorf("bodies the live target got (-want +got):\n%s", d)
	}
	// Round robin sends every other request to the dead target first.
	if s := td.Stats(); s.Refused != 2 || s.Requests != 0 || s.Lost != 0 {
		t.Errorf("dead target stats %+v, want 2 refused, 0 requests, 0 lost", s)
	}
}

// TestLostInFlight: a target that dies with a request in flight costs that
// request (502), counted as lost on it; nothing is retried.
func TestLostInFlight(t *testing.T) {
	arrived := make(chan struct{})
	dying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // dies without an answer
		}
	}))
	t.Cleanup(dying.Close)
	u, _ := url.Parse(dying.URL)
	p := NewPool(Config{NoHealthCheck: true}, nil)
	tg := p.Add(u)
	code, _ := get(t, p, "/images")
	<-arrived
	if code != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", code)
	}
	if s := tg.Stats(); s.Lost != 1 || s.Requests != 1 || s.InFlight != 0 || s.Refused != 0 {
		t.Errorf("stats %+v, want 1 request, 1 lost", s)
	}
}
