package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	twinstack "github.com/twinstack/twinstack"
	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
	"github.com/twinstack/twinstack/internal/ingest/ingesttest"
	"github.com/twinstack/twinstack/internal/server"
	"github.com/twinstack/twinstack/internal/ssrf"
)

// webp1x1 is a valid 1x1 lossless WebP.
var webp1x1 = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	srv    *server.Server
	http   *httptest.Server
	origin *httptest.Server
	s3     *ingesttest.S3
	db     *ingesttest.DB
	logs   *syncBuffer
}

func newEnv(t *testing.T) *env { return newEnvB(t) }

func newEnvB(t testing.TB) *env {
	t.Helper()
	e := &env{s3: ingesttest.NewS3("bucket"), db: ingesttest.NewDB(), logs: &syncBuffer{}}
	e.db.CreateTable("images", "image_id", ingesttest.Index{Name: constructs.ListIndex, Partition: constructs.ListPartition, Sort: constructs.ListSort})
	e.db.CreateTable("albums", "id")
	mux := http.NewServeMux()
	mux.HandleFunc("/cat.webp", func(w http.ResponseWriter, r *http.Request) { w.Write(webp1x1) })
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("plain text")) })
	e.origin = httptest.NewServer(mux)
	t.Cleanup(e.origin.Close)
	svc, err := ingest.New(ingest.Config{
		Bucket: "bucket", Table: "images", S3: e.s3, Presign: e.s3, DB: e.db,
		Guard: ssrf.New(ssrf.AllowPrivate(true)), InstanceID: "i-test", DownloadTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv, err = server.New(server.Config{
		Images: svc, Albums: albums.New(e.db, "albums"),
		Logger:     slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OpenAPI:    []byte(twinstack.OpenAPI),
		InstanceID: "i-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	return e
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(t *testing.T, method, path, body string, header ...string) response {
	t.Helper()
	req, _ := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (r response) code() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func TestStatusTable(t *testing.T) {
	want := map[apperr.Code]int{
		apperr.Invalid: 400, apperr.BlockedDestination: 403, apperr.NotFound: 404, apperr.Conflict: 409,
		apperr.TooLarge: 413, apperr.NotAnImage: 422, apperr.OriginError: 502, apperr.StorageUnavailable: 503,
		apperr.OriginTimeout: 504, apperr.Internal: 500, apperr.Code("whatever"): 500,
	}
	got := map[apperr.Code]int{}
	for c := range want {
		got[c] = server.StatusOf(c)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

var timingRE = regexp.MustCompile(`^download;dur=\d+\.\d, s3;dur=\d+\.\d, dynamodb;dur=\d+\.\d, total;dur=\d+\.\d, wcu;desc="([\d.]+)", wcu-index;desc="([\d.]+)", rcu;desc="([\d.]+)"$`)

// capacityOf is the "wcu/wcu-index/rcu" of a Server-Timing value.
func capacityOf(st string) string {
	m := timingRE.FindStringSubmatch(st)
	if m == nil {
		return "none"
	}
	return m[1] + "/" + m[2] + "/" + m[3]
}

func TestPostImage(t *testing.T) {
	e := newEnv(t)
	url := e.origin.URL + "/cat.webp"
	r := e.do(t, "POST", "/images", `{"image_url":"`+url+`"}`, "X-Request-Id", "req-123")
	if r.status != 201 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if got := r.header.Get("X-Request-Id"); got != "req-123" {
		t.Errorf("X-Request-Id %q", got)
	}
	if got := r.header.Get("X-Instance-Id"); got != "i-test" {
		t.Errorf("X-Instance-Id %q, want the server's instance id", got)
	}
	if st := r.header.Get("Server-Timing"); !timingRE.MatchString(st) {
		t.Errorf("Server-Timing %q", st)
	}
	var keys []string
	for k := range r.body {
		keys = append(keys, k)
	}
	wantKeys := []string{"bucket", "content_type", "created_at", "image_id", "instance_id", "key", "sha256", "size_bytes", "source_url", "status"}
	if d := cmp.Diff(wantKeys, sorted(keys)); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	if r.body["status"] != "success" || r.body["content_type"] != "image/webp" || r.body["instance_id"] != "i-test" {
		t.Errorf("body %s", r.raw)
	}
	id := r.body["image_id"].(string)
	if r.header.Get("Location") != "/images/"+id {
		t.Errorf("Location %q", r.header.Get("Location"))
	}

	g := e.do(t, "GET", "/images/"+id, "")
	if g.status != 200 || g.body["image_id"] != id || g.body["sha256"] != r.body["sha256"] {
		t.Errorf("GET: %d %s", g.status, g.raw)
	}
	c := e.do(t, "GET", "/images/"+id+"/content", "")
	if c.status != 302 || !strings.Contains(c.header.Get("Location"), "images/"+id) || c.header.Get("Cache-Control") != "no-store" {
		t.Errorf("content: %d %v", c.status, c.header)
	}
	l := e.do(t, "GET", "/images?limit=1", "")
	if l.status != 200 || len(l.body["images"].([]any)) != 1 {
		t.Errorf("list: %d %s", l.status, l.raw)
	}

	// Idempotent repeats answer 200 with the first result.
	first := e.do(t, "POST", "/images", `{"image_url":"`+url+`"}`, "Idempotency-Key", "k1")
	again := e.do(t, "POST", "/images", `{"image_url":"`+url+`"}`, "Idempotency-Key", "k1")
	if first.status != 201 || again.status != 200 || again.raw != first.raw {
		t.Errorf("idempotent: %d %s / %d %s", first.status, first.raw, again.status, again.raw)
	}
	// Write units by DynamoDB's rules for items under 1 KB: unkeyed and
	// keyed alike, one conditional put (+1 index write); a replay, no
	// write (its conditional PutObject is refused) and one strongly
	// consistent read of the item.
	for _, c := range []struct{ name, got, want string }{
		{"unkeyed", capacityOf(r.header.Get("Server-Timing")), "1/1/0"},
		{"keyed", capacityOf(first.header.Get("Server-Timing")), "1/1/0"},
		{"replay", capacityOf(again.header.Get("Server-Timing")), "0/0/1"},
	} {
		if c.got != c.want {
			t.Errorf("%s: capacity %s, want %s (wcu/wcu-index/rcu)", c.name, c.got, c.want)
		}
	}
	if n := len(e.s3.Objects()); n != 2 {
		t.Errorf("%d objects, want 2", n)
	}
}

func TestFailures(t *testing.T) {
	e := newEnv(t)
	origin := e.origin.URL
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"bad json", "POST", "/images", `{"image_url":`, 400, "invalid_request"},
		{"not an object", "POST", "/images", `["x"]`, 400, "invalid_request"},
		{"empty body", "POST", "/images", ``, 400, "invalid_request"},
		{"unknown field", "POST", "/images", `{"image_url":"http://example.com/a.png","x":1}`, 400, "invalid_request"},
		{"trailing data", "POST", "/images", `{"image_url":"http://example.com/a.png"} {}`, 400, "invalid_request"},
		{"wrong type", "POST", "/images", `{"image_url":5}`, 400, "invalid_request"},
		{"missing url", "POST", "/images", `{}`, 400, "invalid_request"},
		{"ftp", "POST", "/images", `{"image_url":"ftp://example.com/a.png"}`, 400, "invalid_request"},
		{"javascript", "POST", "/images", `{"image_url":"javascript:alert(1)"}`, 400, "invalid_request"},
		{"huge body", "POST", "/images", `{"image_url":"` + strings.Repeat("a", 70000) + `"}`, 400, "invalid_request"},
		{"metadata", "POST", "/images", `{"image_url":"http://169.254.169.254/latest/meta-data/"}`, 403, "blocked_destination"},
		{"decimal", "POST", "/images", `{"image_url":"http://2130706433:8080/"}`, 403, "blocked_destination"},
		{"not an image", "POST", "/images", `{"image_url":"` + origin + `/text"}`, 422, "not_an_image"},
		{"origin 404", "POST", "/images", `{"image_url":"` + origin + `/missing.png"}`, 502, "origin_error"},
		{"image 404", "GET", "/images/01JTEST0000000000000000099", "", 404, "not_found"},
		{"image bad id", "GET", "/images/..%2f..%2fetc", "", 404, "not_found"},
		{"content 404", "GET", "/images/01JTEST0000000000000000099/content", "", 404, "not_found"},
		{"bad limit", "GET", "/images?limit=abc", "", 400, "invalid_request"},
		{"limit too big", "GET", "/images?limit=101", "", 400, "invalid_request"},
		{"limit zero", "GET", "/images?limit=0", "", 400, "invalid_request"},
		{"bad cursor", "GET", "/images?cursor=zzz", "", 400, "invalid_request"},
		{"album 404", "GET", "/albums/404", "", 404, "not_found"},
		{"album invalid", "POST", "/albums", `{"id":"x","title":"","artist":"a","price":1}`, 400, "invalid_request"},
		{"album missing price", "POST", "/albums", `{"id":"x","title":"t","artist":"a"}`, 400, "invalid_request"},
		{"album price string", "POST", "/albums", `{"id":"x","title":"t","artist":"a","price":"1"}`, 400, "invalid_request"},
		{"no route", "GET", "/nope", "", 404, "not_found"},
		{"wrong method", "DELETE", "/albums", "", 405, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.body)
			if r.status != tc.status || r.code() != tc.code || r.body["status"] != "failure" {
				t.Fatalf("%d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
			msg, _ := r.body["error"].(map[string]any)["message"].(string)
			if msg == "" {
				t.Error("empty message")
			}
			if tc.method == "POST" && tc.path == "/images" && !timingRE.MatchString(r.header.Get("Server-Timing")) {
				t.Errorf("Server-Timing %q", r.header.Get("Server-Timing"))
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if got := r.header.Get("X-Instance-Id"); got != "i-test" {
				t.Errorf("X-Instance-Id %q, want the server's instance id", got)
			}
		})
	}
	if n := len(e.s3.Objects()); n != 0 {
		t.Errorf("failures stored %d objects", n)
	}
}

func TestStorageDown(t *testing.T) {
	e := newEnv(t)
	e.srv.SeedAlbums(context.Background())
	down := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	e.db.Hook = func(op, table string) error { return down }
	r := e.do(t, "POST", "/images", `{"image_url":"`+e.origin.URL+`/cat.webp"}`)
	if r.status != 503 || r.code() != "storage_unavailable" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if strings.Contains(r.raw, "127.0.0.1:1") {
		t.Errorf("failure leaks the storage address: %s", r.raw)
	}
	if n := len(e.s3.Objects()); n != 0 {
		t.Errorf("object left behind after the item write failed")
	}
	for _, p := range []string{"/albums", "/albums/1", "/images"} {
		if r := e.do(t, "GET", p, ""); r.status != 503 || r.code() != "storage_unavailable" {
			t.Errorf("GET %s: %d %s", p, r.status, r.raw)
		}
	}
	if r := e.do(t, "GET", "/readyz", ""); r.status != 503 || r.code() != "storage_unavailable" {
		t.Errorf("readyz: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "GET", "/healthz", ""); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
}

func TestAlbums(t *testing.T) {
	e := newEnv(t)
	if r := e.do(t, "GET", "/readyz", ""); r.status != 503 {
		t.Errorf("ready before seeding: %d %s", r.status, r.raw)
	}
	e.srv.SeedAlbums(context.Background())
	if r := e.do(t, "GET", "/readyz", ""); r.status != 200 || r.body["status"] != "ready" {
		t.Errorf("readyz: %d %s", r.status, r.raw)
	}
	r := e.do(t, "GET", "/albums", "")
	var list server.AlbumList
	json.Unmarshal([]byte(r.raw), &list)
	if d := cmp.Diff(server.AlbumList{Status: "success", Albums: albums.Seeds()}, list); r.status != 200 || d != "" {
		t.Errorf("albums %d (-want +got):\n%s", r.status, d)
	}
	body := `{"id":"4","title":"Kind of Blue","artist":"Miles Davis","price":19.99}`
	if r := e.do(t, "POST", "/albums", body); r.status != 201 || r.body["title"] != "Kind of Blue" || r.header.Get("Location") != "/albums/4" {
		t.Errorf("POST: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "POST", "/albums", body); r.status != 409 || r.code() != "conflict" {
		t.Errorf("duplicate POST: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "GET", "/albums/4", ""); r.status != 200 || r.body["price"] != 19.99 {
		t.Errorf("GET /albums/4: %d %s", r.status, r.raw)
	}
}

func TestHealthMetricsOpenAPI(t *testing.T) {
	e := newEnv(t)
	if r := e.do(t, "GET", "/healthz", ""); r.status != 200 || r.body["status"] != "ok" {
		t.Errorf("healthz %d %s", r.status, r.raw)
	}
	e.do(t, "POST", "/images", `{"image_url":"`+e.origin.URL+`/cat.webp"}`)
	e.do(t, "GET", "/nope/"+strings.Repeat("x", 10), "")
	m := e.do(t, "GET", "/metrics", "")
	for _, want := range []string{
		`twinstack_http_requests_total{code="201",method="POST",route="/images"} 1`,
		`twinstack_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`twinstack_ingested_bytes_total 34`,
		`twinstack_dependency_duration_seconds_count{dependency="s3"} 1`,
		`twinstack_http_request_duration_seconds_bucket{method="POST",route="/images",le="+Inf"} 1`,
		`twinstack_ingests_total{outcome="success"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(m.raw, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	o := e.do(t, "GET", "/openapi.yaml", "")
	if o.status != 200 || o.raw != twinstack.OpenAPI || !strings.HasPrefix(o.header.Get("Content-Type"), "application/yaml") {
		t.Errorf("openapi: %d %q", o.status, o.header.Get("Content-Type"))
	}
	// Every route is documented (Echo ":id" is OpenAPI "{id}").
	for _, r := range e.srv.Routes() {
		method, path, _ := strings.Cut(r, " ")
		path = regexp.MustCompile(`:(\w+)`).ReplaceAllString(path, "{$1}")
		block := pathBlock(twinstack.OpenAPI, path)
		if block == "" || !strings.Contains(block, "\n    "+strings.ToLower(method)+":") {
			t.Errorf("openapi.yaml does not document %s %s", method, path)
		}
	}
}

// pathBlock is the text of one entry under paths: in the OpenAPI YAML.
func pathBlock(doc, path string) string {
	i := strings.Index(doc, "\n  "+path+":\n")
	if i < 0 {
		return ""
	}
	rest := doc[i+len(path)+4:]
	if j := regexp.MustCompile(`\n  \S`).FindStringIndex(rest); j != nil {
		rest = rest[:j[0]]
	}
	return rest
}

func TestLogsCarryRequestID(t *testing.T) {
	e := newEnv(t)
	e.do(t, "POST", "/images", `{"image_url":"`+e.origin.URL+`/cat.webp"}`, "X-Request-Id", "abc-1")
	e.do(t, "GET", "/albums/zzz", "", "X-Request-Id", "bad id with spaces")
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	ids := map[string]bool{}
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("not JSON: %s", sc.Text())
		}
		id, _ := rec["request_id"].(string)
		if id == "" {
			t.Errorf("log line without request_id: %s", sc.Text())
		}
		ids[id] = true
		lines++
	}
	if lines < 3 || !ids["abc-1"] || ids["bad id with spaces"] || len(ids) != 2 {
		t.Errorf("%d lines, ids %v", lines, ids)
	}
}

// blockingImages holds Put until released, for the drain test.
type blockingImages struct {
	server.Images
	started, release chan struct{}
}

func (b *blockingImages) Put(ctx context.Context, in ingest.PutInput) (ingest.Result, ingest.Timing, error) {
	close(b.started)
	<-b.release
	return ingest.Result{Image: ingest.Image{ID: "01JTEST0000000000000000001"}}, ingest.Timing{}, nil
}

func TestRunDrains(t *testing.T) {
	for _, tc := range []struct {
		name    string
		release bool // the in-flight request finishes within the bound
	}{{"completes", true}, {"bounded", false}} {
		t.Run(tc.name, func(t *testing.T) {
			db := ingesttest.NewDB()
			db.CreateTable("albums", "id")
			imgs := &blockingImages{started: make(chan struct{}), release: make(chan struct{})}
			srv, err := server.New(server.Config{Images: imgs, Albums: albums.New(db, "albums"), ShutdownTimeout: 300 * time.Millisecond})
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

			type result struct {
				status int
				err    error
			}
			resc := make(chan result, 1)
			go func() {
				resp, err := http.Post("http://"+ln.Addr().String()+"/images", "application/json", strings.NewReader(`{"image_url":"http://example.com/a.png"}`))
				if err != nil {
					resc <- result{err: err}
					return
				}
				resp.Body.Close()
				resc <- result{status: resp.StatusCode}
			}()
			<-imgs.started
			cancel() // SIGTERM
			time.Sleep(50 * time.Millisecond)
			if _, err := net.DialTimeout("tcp", ln.Addr().String(), 200*time.Millisecond); err == nil {
				t.Error("still accepting connections while draining")
			}
			start := time.Now()
			if tc.release {
				close(imgs.release)
				if r := <-resc; r.err != nil || r.status != 201 {
					t.Errorf("in-flight request: %+v", r)
				}
			}
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return")
			}
			if !tc.release {
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("drain took %s, bound 300ms", d)
				}
				close(imgs.release)
			}
		})
	}
}

func sorted(ss []string) []string {
	out := append([]string(nil), ss...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
