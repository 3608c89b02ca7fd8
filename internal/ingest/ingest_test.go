package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
	"github.com/twinstack/twinstack/internal/ssrf"
)

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestPutFormats(t *testing.T) {
	f := newFixture(t, nil)
	for ct, body := range samples(t) {
		t.Run(ct, func(t *testing.T) {
			path := "/img/" + strings.ReplaceAll(ct, "/", "-")
			f.serve(path, body)
			res, tm, err := f.svc.Put(context.Background(), ingest.PutInput{URL: f.url(path)})
			if err != nil {
				t.Fatal(err)
			}
			img := res.Image
			want := ingest.Image{
				ID: img.ID, Bucket: bucket, Key: "images/" + img.ID, SizeBytes: int64(len(body)), ContentType: ct,
				SHA256: sum(body), SourceURL: f.url(path), InstanceID: "test-instance", CreatedAt: img.CreatedAt,
			}
			if d := cmp.Diff(want, img); d != "" {
				t.Errorf("image (-want +got):\n%s", d)
			}
			if res.Replayed {
				t.Error("Replayed on a first request")
			}
			obj := f.s3.Objects()[img.Key]
			if !bytes.Equal(obj.Body, body) || obj.ContentType != ct {
				t.Errorf("object: %d bytes %q, want %d bytes %q", len(obj.Body), obj.ContentType, len(body), ct)
			}
			item := f.db.Items(table)[img.ID]
			for k, v := range map[string]string{"entity": "image", "created_at": img.CreatedAt, "sha256": sum(body), "content_type": ct} {
				if got := item[k].(*types.AttributeValueMemberS).Value; got != v {
					t.Errorf("item %s = %q, want %q", k, got, v)
				}
			}
			if tm.Total <= 0 || tm.Download <= 0 || tm.S3 < 0 || tm.DynamoDB <= 0 {
				t.Errorf("timing %+v", tm)
			}
			if _, err := time.Parse(time.RFC3339, img.CreatedAt); err != nil {
				t.Errorf("created_at %q: %v", img.CreatedAt, err)
			}
		})
	}
	if got := f.s3.Calls("CreateMultipartUpload"); got != 0 {
		t.Errorf("small images used multipart %d times", got)
	}
}

func TestPutMultipart(t *testing.T) {
	f := newFixture(t, nil)
	body := bigPNG(12<<20 + 123)
	f.serve("/big.png", body)
	// Chunked (no Content-Length) too.
	f.mux.HandleFunc("/chunked.png", func(w http.ResponseWriter, r *http.Request) {
		for off := 0; off < len(body); off += 1 << 20 {
			w.Write(body[off:min(off+1<<20, len(body))])
			w.(http.Flusher).Flush()
		}
	})
	mid := bigPNG(3 << 20) // over SmallBytes, under one part: the manager's single PutObject
	f.serve("/mid.png", mid)
	for _, path := range []string{"/big.png", "/chunked.png", "/mid.png"} {
		res, _, err := f.svc.Put(context.Background(), ingest.PutInput{URL: f.url(path)})
		if err != nil {
			t.Fatal(err)
		}
		obj := f.s3.Objects()[res.Image.Key]
		body := body
		if path == "/mid.png" {
			body = mid
		}
		if !bytes.Equal(obj.Body, body) {
			t.Fatalf("%s: object differs (%d bytes, want %d)", path, len(obj.Body), len(body))
		}
		if res.Image.SHA256 != sum(body) || res.Image.SizeBytes != int64(len(body)) {
			t.Errorf("%s: sha/size %s/%d", path, res.Image.SHA256, res.Image.SizeBytes)
		}
	}
	if got := f.s3.Calls("CreateMultipartUpload"); got != 2 {
		t.Errorf("multipart uploads: %d, want 2", got)
	}
}

// failure runs one failing Put and checks its code and that nothing was
// stored.
func failure(t *testing.T, f *fixture, in ingest.PutInput, want apperr.Code) error {
	t.Helper()
	_, tm, err := f.svc.Put(context.Background(), in)
	if got := apperr.CodeOf(err); got != want {
		t.Fatalf("Put(%s) = %v (code %q), want %q", in.URL, err, got, want)
	}
	if tm.Total <= 0 {
		t.Errorf("no total timing on failure")
	}
	nothingStored(t, f)
	return err
}

func nothingStored(t *testing.T, f *fixture) {
	t.Helper()
	if objs := f.s3.Objects(); len(objs) != 0 {
		t.Errorf("objects left behind: %v", keys(objs))
	}
	for k, it := range f.db.Items(table) {
		if _, ok := it["entity"]; ok {
			t.Errorf("image item left behind: %s", k)
		}
		if st, ok := it["state"].(*types.AttributeValueMemberS); ok {
			t.Errorf("idempotency claim left %s: %s", st.Value, k)
		}
	}
	if n := f.s3.PendingUploads(); n != 0 {
		t.Errorf("%d multipart uploads left open", n)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestPutFailures(t *testing.T) {
	big := bigPNG(3 << 20)
	tests := []struct {
		name   string
		edit   func(*ingest.Config)
		handle http.HandlerFunc
		url    string // overrides the origin URL
		want   apperr.Code
	}{
		{name: "empty url", url: "", want: apperr.Invalid},
		{name: "relative url", url: "/img.png", want: apperr.Invalid},
		{name: "ftp scheme", url: "ftp://example.com/a.png", want: apperr.Invalid},
		{name: "file scheme", url: "file:///etc/passwd", want: apperr.Invalid},
		{name: "credentials", url: "http://user:pw@example.com/a.png", want: apperr.Invalid},
		{name: "bad port", url: "http://example.com:99999/a.png", want: apperr.Invalid},
		{name: "too long", url: "http://example.com/" + strings.Repeat("a", 3000), want: apperr.Invalid},
		{name: "metadata", url: "http://169.254.169.254/latest/meta-data/", want: apperr.BlockedDestination},
		{name: "decimal loopback", url: "http://2130706433/", want: apperr.BlockedDestination},
		{name: "hex loopback", url: "http://0x7f000001/", want: apperr.BlockedDestination},
		{name: "mapped metadata", url: "http://[::ffff:169.254.169.254]/", want: apperr.BlockedDestination},
		{name: "loopback when strict", edit: func(c *ingest.Config) { c.Guard = ssrf.New() }, want: apperr.BlockedDestination,
			handle: func(w http.ResponseWriter, r *http.Request) { w.Write(big) }},
		{name: "localhost name when strict", edit: func(c *ingest.Config) { c.Guard = ssrf.New() }, want: apperr.BlockedDestination, url: "localhost"},
		{name: "redirect to metadata", want: apperr.BlockedDestination, handle: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/", http.StatusFound)
		}},
		{name: "redirect to octal", want: apperr.BlockedDestination, handle: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://0177.0.0.1/", http.StatusFound)
		}},
		{name: "redirect to file", want: apperr.OriginError, handle: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		}},
		{name: "redirect loop", want: apperr.OriginError, handle: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}},
		{name: "not found", want: apperr.OriginError, handle: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }},
		{name: "server error", want: apperr.OriginError, handle: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }},
		{name: "reset", want: apperr.OriginError, handle: func(w http.ResponseWriter, r *http.Request) {
			c, _, _ := w.(http.Hijacker).Hijack()
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}},
		{name: "truncated body", want: apperr.OriginError, handle: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.Write(big[:1000])
		}},
		{name: "refused", url: "refused", want: apperr.OriginError},
		{name: "text", want: apperr.NotAnImage, handle: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png") // the bytes decide, not the header
			w.Write([]byte("hello, I am not an image"))
		}},
		{name: "html", want: apperr.NotAnImage, handle: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<!DOCTYPE html><html></html>")) }},
		{name: "svg", want: apperr.NotAnImage, handle: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
		}},
		{name: "empty", want: apperr.NotAnImage, handle: func(w http.ResponseWriter, r *http.Request) {}},
		{name: "too large by length", edit: func(c *ingest.Config) { c.MaxBytes = 1 << 20 }, want: apperr.TooLarge,
			handle: func(w http.ResponseWriter, r *http.Request) { w.Write(big) }},
		{name: "too large chunked, one part", edit: func(c *ingest.Config) { c.MaxBytes = 1 << 20 }, want: apperr.TooLarge,
			handle: func(w http.ResponseWriter, r *http.Request) {
				w.Write(big[:512])
				w.(http.Flusher).Flush()
				w.Write(big[512:])
			}},
		{name: "too large chunked, multipart", edit: func(c *ingest.Config) { c.MaxBytes = 11 << 20 }, want: apperr.TooLarge,
			handle: func(w http.ResponseWriter, r *http.Request) {
				chunk := bigPNG(1 << 20)
				for range 16 {
					w.Write(chunk)
					w.(http.Flusher).Flush()
				}
			}},
		{name: "lying content length", edit: func(c *ingest.Config) { c.MaxBytes = 1 << 20 }, want: apperr.TooLarge,
			handle: func(w http.ResponseWriter, r *http.Request) {
				// Claims 100 bytes, sends more: HTTP/1.1 framing stops the
				// read at 100, so this one is an origin error unless the
				// limit is hit; send a chunked body instead to lie.
				w.(http.Flusher).Flush()
				w.Write(big)
			}},
		{name: "slow headers", edit: func(c *ingest.Config) { c.DownloadTimeout = 200 * time.Millisecond }, want: apperr.OriginTimeout,
			handle: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(3 * time.Second):
				}
			}},
		{name: "slow body", edit: func(c *ingest.Config) { c.DownloadTimeout = 300 * time.Millisecond }, want: apperr.OriginTimeout,
			handle: func(w http.ResponseWriter, r *http.Request) {
				w.Write(big[:1024])
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(3 * time.Second):
				}
			}},
		{name: "slow body multipart", edit: func(c *ingest.Config) { c.DownloadTimeout = 500 * time.Millisecond }, want: apperr.OriginTimeout,
			handle: func(w http.ResponseWriter, r *http.Request) {
				w.Write(bigPNG(6 << 20))
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(3 * time.Second):
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.edit)
			url := f.url("/x")
			if tc.handle != nil {
				f.mux.HandleFunc("/x", tc.handle)
			}
			switch {
			case tc.url == "refused":
				l, _ := net.Listen("tcp", "127.0.0.1:0")
				url = "http://" + l.Addr().String() + "/x"
				l.Close()
			case tc.url == "localhost":
				url = strings.Replace(url, "127.0.0.1", "localhost", 1)
			case tc.handle == nil:
				url = tc.url
			}
			failure(t, f, ingest.PutInput{URL: url}, tc.want)
		})
	}
}

func TestStorageFailuresLeaveNothing(t *testing.T) {
	storeDown := errors.New("connection refused")
	tests := []struct {
		name    string
		size    int
		s3Hook  func(op, key string) error
		ddbHook func(op, table string) error
	}{
		{name: "put object", size: 1000, s3Hook: func(op, _ string) error {
			if op == "PutObject" {
				return storeDown
			}
			return nil
		}},
		{name: "upload part", size: 12 << 20, s3Hook: func(op, _ string) error {
			if op == "UploadPart" {
				return storeDown
			}
			return nil
		}},
		{name: "complete multipart", size: 12 << 20, s3Hook: func(op, _ string) error {
			if op == "CompleteMultipartUpload" {
				return storeDown
			}
			return nil
		}},
		{name: "item after single put", size: 1000, ddbHook: func(op, _ string) error {
			if op == "PutItem" {
				return storeDown
			}
			return nil
		}},
		{name: "item after multipart", size: 12 << 20, ddbHook: func(op, _ string) error {
			if op == "PutItem" {
				return storeDown
			}
			return nil
		}},
	}
	for _, tc := range tests {
		// Unkeyed, and keyed (a conditional object write; its failure
		// must leave the key free for a retry).
		for _, key := range []string{"", "fail-1"} {
			t.Run(tc.name+"/key="+key, func(t *testing.T) {
				f := newFixture(t, nil)
				f.s3.Hook, f.db.Hook = tc.s3Hook, tc.ddbHook
				f.serve("/x.png", bigPNG(tc.size))
				in := ingest.PutInput{URL: f.url("/x.png"), IdempotencyKey: key}
				err := failure(t, f, in, apperr.StorageUnavailable)
				if strings.Contains(apperr.MessageOf(err), "refused") {
					t.Errorf("client message leaks the cause: %q", apperr.MessageOf(err))
				}
				if key == "" {
					return
				}
				f.s3.Hook, f.db.Hook = nil, nil
				res, _, err := f.svc.Put(context.Background(), in)
				if err != nil || res.Replayed || res.Image.ID != ingest.KeyedID(key) {
					t.Fatalf("retry after the failure: %v %+v", err, res)
				}
			})
		}
	}
}

func TestIdempotency(t *testing.T) {
	f := newFixture(t, nil)
	body := samples(t)["image/png"]
	var mu sync.Mutex
	hits := 0
	f.mux.HandleFunc("/a.png", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		time.Sleep(50 * time.Millisecond) // keep the first request in flight
		w.Write(body)
	})
	ctx := context.Background()
	in := ingest.PutInput{URL: f.url("/a.png"), IdempotencyKey: "key-1"}
	first, _, err := f.svc.Put(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := f.svc.Put(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Image != first.Image {
		t.Errorf("repeat: replayed=%v %+v, want the first result %+v", again.Replayed, again.Image, first.Image)
	}
	// A sequential repeat downloads again: the store (the conditional
	// object write) decides after the download.
	if hits != 2 {
		t.Errorf("origin hit %d times by a request and its repeat, want 2", hits)
	}
	// The same key for another URL is a conflict (found once that image
	// is downloaded).
	f.serve("/b.png", samples(t)["image/gif"])
	_, _, err = f.svc.Put(ctx, ingest.PutInput{URL: f.url("/b.png"), IdempotencyKey: "key-1"})
	if apperr.CodeOf(err) != apperr.Conflict || !strings.Contains(apperr.MessageOf(err), "different image_url") {
		t.Errorf("other URL, same key: %v", err)
	}

	// 20 concurrent repeats of a new key on one instance: they share one
	// attempt, so one download, one object, one result.
	in2 := ingest.PutInput{URL: f.url("/a.png"), IdempotencyKey: "key-2"}
	results := make([]ingest.Result, 20)
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { results[i], _, errs[i] = f.svc.Put(ctx, in2) })
	}
	wg.Wait()
	replayed := 0
	for i := range 20 {
		if errs[i] != nil {
			t.Fatalf("concurrent %d: %v", i, errs[i])
		}
		if results[i].Image != results[0].Image {
			t.Fatalf("concurrent %d: %+v differs from %+v", i, results[i].Image, results[0].Image)
		}
		if results[i].Replayed {
			replayed++
		}
	}
	if replayed != 19 {
		t.Errorf("%d of 20 replayed, want 19", replayed)
	}
	if n := len(f.s3.Objects()); n != 2 {
		t.Errorf("%d objects, want 2", n)
	}
	if hits != 3 {
		t.Errorf("origin hit %d times, want 3 (one more for the 20 concurrent repeats)", hits)
	}
}

func TestIdempotencyFailureReleasesKey(t *testing.T) {
	f := newFixture(t, nil)
	body := samples(t)["image/gif"]
	broken := true
	f.mux.HandleFunc("/g.gif", func(w http.ResponseWriter, r *http.Request) {
		if broken {
			w.WriteHeader(503)
			return
		}
		w.Write(body)
	})
	in := ingest.PutInput{URL: f.url("/g.gif"), IdempotencyKey: "retry-me"}
	if _, _, err := f.svc.Put(context.Background(), in); apperr.CodeOf(err) != apperr.OriginError {
		t.Fatalf("first: %v", err)
	}
	nothingStored(t, f)
	broken = false
	res, _, err := f.svc.Put(context.Background(), in)
	if err != nil || res.Replayed {
		t.Fatalf("retry: %v replayed=%v", err, res.Replayed)
	}
}

func TestIdempotencyKeyValidation(t *testing.T) {
	f := newFixture(t, nil)
	for _, k := range []string{strings.Repeat("k", 256), "tab\tkey", "ünïcode"} {
		_, _, err := f.svc.Put(context.Background(), ingest.PutInput{URL: f.url("/x"), IdempotencyKey: k})
		if apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("key %q: %v", k, err)
		}
	}
}

func TestListGetContent(t *testing.T) {
	f := newFixture(t, nil)
	f.serve("/p.png", samples(t)["image/png"])
	ctx := context.Background()
	var ids []string
	for range 5 {
		res, _, err := f.svc.Put(ctx, ingest.PutInput{URL: f.url("/p.png")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append([]string{res.Image.ID}, ids...) // newest first
	}
	var got []string
	cursor := ""
	pages := 0
	for {
		p, err := f.svc.List(ctx, 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, img := range p.Images {
			got = append(got, img.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if d := cmp.Diff(ids, got); d != "" || pages != 3 {
		t.Errorf("pages=%d, ids (-want +got):\n%s", pages, d)
	}
	for _, bad := range []string{"!!", "eyJpIjoieCJ9", strings.Repeat("A", 400)} {
		if _, err := f.svc.List(ctx, 2, bad); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
	for _, lim := range []int{0, 101} {
		if _, err := f.svc.List(ctx, lim, ""); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("limit %d: %v", lim, err)
		}
	}

	img, err := f.svc.Get(ctx, ids[0])
	if err != nil || img.ID != ids[0] {
		t.Fatalf("Get: %v %+v", err, img)
	}
	for _, id := range []string{"01JTEST0000000000000000099", "nope", "idempotency#x"} {
		if _, err := f.svc.Get(ctx, id); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("Get(%q): %v", id, err)
		}
	}
	u, err := f.svc.ContentURL(ctx, ids[0])
	if err != nil || !strings.Contains(string(u), "images/"+ids[0]) {
		t.Fatalf("ContentURL: %v %q", err, u)
	}
	if v := fmt.Sprint(u.LogValue()); strings.Contains(v, "Signature") {
		t.Errorf("LogValue leaks the signature: %s", v)
	}
	if _, err := f.svc.ContentURL(ctx, "01JTEST0000000000000000099"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("ContentURL unknown: %v", err)
	}
}

func TestReady(t *testing.T) {
	f := newFixture(t, nil)
	if err := f.svc.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	g := newFixture(t, func(c *ingest.Config) { c.Bucket = "missing" })
	if err := g.svc.Ready(context.Background()); err == nil {
		t.Error("missing bucket is ready")
	}
	h := newFixture(t, func(c *ingest.Config) { c.Table = "missing" })
	if err := h.svc.Ready(context.Background()); err == nil {
		t.Error("missing table is ready")
	}
}
