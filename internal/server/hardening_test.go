package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
	"github.com/twinstack/twinstack/internal/ingest/ingesttest"
	"github.com/twinstack/twinstack/internal/server"
	"github.com/twinstack/twinstack/internal/ssrf"
)

// hardEnv is a server over fakes whose ingest settings a test chooses.
func hardEnv(t *testing.T, mux *http.ServeMux, edit func(c *ingest.Config, origin string)) *env {
	t.Helper()
	e := &env{s3: ingesttest.NewS3("bucket"), db: ingesttest.NewDB(), logs: &syncBuffer{}}
	e.db.CreateTable("images", "image_id", ingesttest.Index{Name: constructs.ListIndex, Partition: constructs.ListPartition, Sort: constructs.ListSort})
	e.db.CreateTable("albums", "id")
	e.origin = httptest.NewServer(mux)
	t.Cleanup(e.origin.Close)
	cfg := ingest.Config{
		Bucket: "bucket", Table: "images", S3: e.s3, Presign: e.s3, DB: e.db,
		Guard: ssrf.New(ssrf.AllowPrivate(true)), InstanceID: "i-test", DownloadTimeout: 5 * time.Second,
	}
	if edit != nil {
		edit(&cfg, e.origin.URL)
	}
	svc, err := ingest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, err = server.New(server.Config{
		Images: svc, Albums: albums.New(e.db, "albums"),
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	return e
}

func (e *env) postURL(t *testing.T, url string, header ...string) response {
	t.Helper()
	return e.do(t, "POST", "/images", `{"image_url":"`+url+`"}`, header...)
}

// TestDripOriginBackpressure is issue 14's bounded test: an origin that
// sends a PNG signature and then one byte every 50 ms holds both ingest
// slots; a normal request gets 429 with Retry-After at once (no queue);
// the minimum-rate rule cuts the drips off long before the download
// timeout; normal requests then succeed, and nothing half-written is left.
func TestDripOriginBackpressure(t *testing.T) {
	stop := make(chan struct{})
	var dripping sync.WaitGroup
	mux := http.NewServeMux()
	mux.HandleFunc("/cat.webp", func(w http.ResponseWriter, r *http.Request) { w.Write(webp1x1) })
	mux.HandleFunc("/drip.png", func(w http.ResponseWriter, r *http.Request) {
		dripping.Add(1)
		defer dripping.Done()
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte("\x89PNG\r\n\x1a\n"))
		w.(http.Flusher).Flush()
		for {
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := w.Write([]byte{0}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	const rateWindow = 300 * time.Millisecond
	e := hardEnv(t, mux, func(c *ingest.Config, _ string) {
		c.MaxInFlight = 2
		c.MinDownloadRate = 1 << 10 // 1 KiB/s; the drip sends 20 B/s
		c.RateWindow = rateWindow
	})
	t.Cleanup(func() { close(stop); dripping.Wait() })

	drips := make(chan response, 2)
	start := time.Now()
	for range 2 {
		go func() { drips <- e.postURL(t, e.origin.URL+"/drip.png") }()
	}
	// Wait until both drips hold a slot (the origin saw both).
	deadline := time.Now().Add(3 * time.Second)
	for inFlight(e.do(t, "GET", "/metrics", "").raw) < 3 { // the two drips and this /metrics
		if time.Now().After(deadline) {
			t.Fatal("drip requests never got in flight")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // past the claim-free path into the slots

	t0 := time.Now()
	busy := e.postURL(t, e.origin.URL+"/cat.webp")
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("429 took %s, want under 100ms", d)
	}
	if busy.status != 429 || busy.code() != "too_many_requests" || busy.header.Get("Retry-After") == "" {
		t.Fatalf("with every slot held: %d %s Retry-After %q, want 429 too_many_requests with Retry-After", busy.status, busy.raw, busy.header.Get("Retry-After"))
	}

	for range 2 {
		r := <-drips
		if r.status != 504 || r.code() != "origin_timeout" || !strings.Contains(r.raw, "slower than") {
			t.Errorf("drip: %d %s, want 504 origin_timeout cut off by the rate rule", r.status, r.raw)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("drips cut off after %s; the rule should act within a few %s windows, long before the 5s download timeout", d, rateWindow)
	}
	ok := e.postURL(t, e.origin.URL+"/cat.webp")
	if ok.status != 201 {
		t.Fatalf("after the drips: %d %s", ok.status, ok.raw)
	}
	if objs := e.s3.Objects(); len(objs) != 1 || e.s3.PendingUploads() != 0 {
		t.Errorf("objects %d, open uploads %d: want only the normal image", len(objs), e.s3.PendingUploads())
	}
	if n := len(e.db.Items("images")); n != 1 {
		t.Errorf("%d items, want 1", n)
	}
}

// inFlight reads twinstack_http_requests_in_flight from a metrics page.
func inFlight(metrics string) int {
	for _, l := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(l, "twinstack_http_requests_in_flight "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// TestBlockedMessageNamesNoAddress: a blocked destination's message is the
// same whatever the address or name, and names neither (the details are
// in the log with the request id).
func TestBlockedMessageNamesNoAddress(t *testing.T) {
	e := hardEnv(t, http.NewServeMux(), func(c *ingest.Config, _ string) { c.Guard = ssrf.New() })
	var msgs []string
	for _, u := range []string{"http://10.20.1.37/a.png", "http://localhost:" + portOf(e.origin.URL) + "/a.png", "http://169.254.169.254/latest"} {
		r := e.postURL(t, u, "X-Request-Id", "blocked-1")
		if r.status != 403 || r.code() != "blocked_destination" {
			t.Fatalf("%s: %d %s", u, r.status, r.raw)
		}
		for _, leak := range []string{"10.20.1.37", "127.0.0.1", "169.254", "private", "loopback", "link"} {
			if strings.Contains(r.raw, leak) {
				t.Errorf("%s: answer %s names %q", u, r.raw, leak)
			}
		}
		msgs = append(msgs, r.raw)
	}
	if msgs[0] != msgs[1] || msgs[1] != msgs[2] {
		t.Errorf("blocked messages differ:\n%s", strings.Join(msgs, "\n"))
	}
	if !strings.Contains(e.logs.String(), "10.20.1.37") || !strings.Contains(e.logs.String(), `"request_id":"blocked-1"`) {
		t.Error("the log does not keep the blocked address with the request id")
	}
}

func portOf(u string) string { return u[strings.LastIndex(u, ":")+1:] }

// TestOriginPorts: only the allowed destination ports are dialled, for the
// URL and for every redirect.
func TestOriginPorts(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/cat.webp", func(w http.ResponseWriter, r *http.Request) { w.Write(webp1x1) })
	mux.HandleFunc("/to-22", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:22/x.png", http.StatusFound)
	})
	e := hardEnv(t, mux, func(c *ingest.Config, origin string) {
		p, _ := strconv.Atoi(portOf(origin))
		c.Guard = ssrf.New(ssrf.AllowPrivate(true), ssrf.AllowPorts(80, 443, p))
	})
	if r := e.postURL(t, e.origin.URL+"/cat.webp"); r.status != 201 {
		t.Fatalf("allowed port: %d %s", r.status, r.raw)
	}
	for _, u := range []string{"http://127.0.0.1:22/x.png", "http://127.0.0.1:6379/", e.origin.URL + "/to-22"} {
		if r := e.postURL(t, u); r.status != 403 || r.code() != "blocked_destination" {
			t.Errorf("%s: %d %s, want 403 blocked_destination", u, r.status, r.raw)
		}
	}
}

// TestUnreachableOriginsOneWording: a closed port, an unknown name and a
// TLS handshake with something that is not TLS all answer the same 502
// message, so answers do not map a network.
func TestUnreachableOriginsOneWording(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	e := hardEnv(t, http.NewServeMux(), nil)
	var msgs []string
	for _, u := range []string{
		"http://" + closed + "/a.png",
		"http://no-such-host.invalid/a.png",
		"https://" + strings.TrimPrefix(e.origin.URL, "http://") + "/cat.webp", // plain HTTP port
	} {
		r := e.postURL(t, u)
		if r.status != 502 || r.code() != "origin_error" {
			t.Fatalf("%s: %d %s", u, r.status, r.raw)
		}
		msgs = append(msgs, r.body["error"].(map[string]any)["message"].(string))
	}
	for _, m := range msgs {
		if m != msgs[0] {
			t.Errorf("messages differ: %q", msgs)
			break
		}
	}
}

// TestRedirectPolicy: an https origin may not redirect to http, and no
// redirect carries a Referer.
func TestRedirectPolicy(t *testing.T) {
	var referer atomic.Value
	referer.Store("unset")
	plain := http.NewServeMux()
	plain.HandleFunc("/cat.webp", func(w http.ResponseWriter, r *http.Request) {
		referer.Store(r.Header.Get("Referer"))
		w.Write(webp1x1)
	})
	plain.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/cat.webp", http.StatusFound) })
	var plainURL string
	tlsMux := http.NewServeMux()
	tlsMux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plainURL+"/cat.webp", http.StatusFound)
	})
	secure := httptest.NewTLSServer(tlsMux)
	t.Cleanup(secure.Close)
	e := hardEnv(t, plain, func(c *ingest.Config, origin string) {
		plainURL = origin
		tr := ingest.NewTransport(c.Guard)
		tr.TLSClientConfig = secure.Client().Transport.(*http.Transport).TLSClientConfig
		c.Transport = tr
	})
	r := e.postURL(t, secure.URL+"/down")
	if r.status != 502 || !strings.Contains(r.raw, "https to http") {
		t.Errorf("https->http: %d %s, want 502 refusing the downgrade", r.status, r.raw)
	}
	if got := referer.Load(); got != "unset" {
		t.Errorf("the downgraded URL was fetched (Referer %q)", got)
	}
	if r := e.postURL(t, e.origin.URL+"/hop"); r.status != 201 {
		t.Fatalf("http redirect: %d %s", r.status, r.raw)
	}
	if got := referer.Load(); got != "" {
		t.Errorf("redirect sent Referer %q", got)
	}
}

// failingImages fails as a bug would: Get with an internal apperr whose
// message would be its cause's text, List with a raw error.
type failingImages struct{ server.Images }

var errSecret = errors.New("dial tcp 10.20.1.5:8000: secret-internal-host")

func (failingImages) Get(context.Context, string) (ingest.Image, error) {
	return ingest.Image{}, apperr.E(apperr.Internal, "ingest.Get", errSecret)
}

func (failingImages) List(context.Context, int, string) (ingest.Page, error) {
	return ingest.Page{}, errSecret
}

// TestInternalErrorsAreGeneric: an internal error's text stays in the log;
// the client gets a generic message with the request id.
func TestInternalErrorsAreGeneric(t *testing.T) {
	db := ingesttest.NewDB()
	db.CreateTable("albums", "id")
	logs := &syncBuffer{}
	srv, err := server.New(server.Config{Images: failingImages{}, Albums: albums.New(db, "albums"), Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e := &env{http: hs}
	for _, path := range []string{"/images/01JTEST0000000000000000001", "/images"} {
		r := e.do(t, "GET", path, "", "X-Request-Id", "int-1")
		if r.status != 500 || r.code() != "internal" {
			t.Fatalf("%s: %d %s", path, r.status, r.raw)
		}
		if strings.Contains(r.raw, "secret") || strings.Contains(r.raw, "10.20") || !strings.Contains(r.raw, "int-1") {
			t.Errorf("%s: answer %s: want a generic message quoting the request id", path, r.raw)
		}
	}
	if !strings.Contains(logs.String(), "secret-internal-host") {
		t.Error("the cause is not in the log")
	}
}

// TestMethodLabelBounded: methods outside HTTP's own are counted as
// "other", so a client cannot mint metric series.
func TestMethodLabelBounded(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"BREW", "X-ANYTHING-1"} {
		e.do(t, m, "/images", "")
	}
	metrics := e.do(t, "GET", "/metrics", "").raw
	if strings.Contains(metrics, "BREW") || strings.Contains(metrics, "X-ANYTHING") || !strings.Contains(metrics, `method="other"`) {
		t.Errorf("method labels not bounded:\n%s", grep(metrics, "twinstack_http_requests_total"))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestServerTimeouts: Run bounds reading a request (a client that sends
// headers and then stalls is cut off after ReadTimeout) and WriteTimeout
// covers the longest ingest by default.
func TestServerTimeouts(t *testing.T) {
	if server.DefaultWriteTimeout < ingest.DefaultDownloadTimeout+ingest.DefaultStorageTimeout {
		t.Errorf("DefaultWriteTimeout %s is shorter than an ingest may take", server.DefaultWriteTimeout)
	}
	db := ingesttest.NewDB()
	db.CreateTable("albums", "id")
	srv, err := server.New(server.Config{Images: failingImages{}, Albums: albums.New(db, "albums"), ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /images HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	io.Copy(io.Discard, c) // returns when the server closes the connection
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stalled request body held the connection %s; ReadTimeout is 300ms", d)
	}
}
