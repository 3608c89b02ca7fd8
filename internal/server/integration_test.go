package server_test

// Integration tests: the real server (server.Build, real SDK clients) over
// HTTP against moto_server started by internal/moto, with an httptest
// origin. Skipped under -short.

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	twinstack "github.com/twinstack/twinstack"
	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/ingest"
	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/server"
	"github.com/twinstack/twinstack/internal/ssrf"
)

const maxImage = 7 << 20 // over one 5 MiB part, so too_large is also tested mid-multipart

// images generates one small picture per accepted format.
func images(t testing.TB) map[string][]byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		for y := range 24 {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), uint8(x ^ y), 255})
		}
	}
	var p, j, g bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&g, img, nil); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"png": p.Bytes(), "jpeg": j.Bytes(), "gif": g.Bytes(), "webp": webp1x1}
}

// bigPNG is n bytes with a PNG signature (sniffed as image/png).
func bigPNG(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	for i := 8; i < n; i++ {
		b[i] = byte(i*31 + i>>9)
	}
	return b
}

// newOrigin serves the test images and misbehaving endpoints.
func newOrigin(t *testing.T) *httptest.Server {
	t.Helper()
	imgs := images(t)
	big := bigPNG(12 << 20)
	mux := http.NewServeMux()
	for name, b := range imgs {
		mux.HandleFunc("/img."+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream") // the bytes decide
			w.Write(b)
		})
	}
	mux.HandleFunc("/big.png", func(w http.ResponseWriter, r *http.Request) { w.Write(big[:6<<20]) })
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("just text, no image")) })
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html><body>hi</body></html>")) })
	mux.HandleFunc("/too-large-declared", func(w http.ResponseWriter, r *http.Request) { w.Write(big[:maxImage+1]) })
	mux.HandleFunc("/too-large-chunked", func(w http.ResponseWriter, r *http.Request) {
		for off := 0; off < len(big); off += 1 << 20 {
			w.Write(big[off : off+1<<20])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Write(big[:4096])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/drip.png", func(w http.ResponseWriter, r *http.Request) {
		// ~1.2 s of streaming: long enough to pull the store away mid-request.
		for i := range 12 {
			w.Write(big[i*(256<<10) : (i+1)*(256<<10)])
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	})
	mux.HandleFunc("/404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		c, _, _ := w.(http.Hijacker).Hijack()
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", http.StatusFound)
	})
	mux.HandleFunc("/to-hex-loopback", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://0x7f000001/", http.StatusFound)
	})
	mux.HandleFunc("/redirect-ok", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/img.gif", http.StatusMovedPermanently)
	})
	o := httptest.NewServer(mux)
	t.Cleanup(o.Close)
	return o
}

// stack is moto + the store + one in-process server over HTTP.
type stack struct {
	moto   *moto.Server
	names  moto.Names
	cfg    config.Serve
	srv    *server.Server
	http   *httptest.Server
	origin *httptest.Server
	s3     *s3.Client
	ddb    *dynamodb.Client
}

func serveConfig(endpoint string, n moto.Names) config.Serve {
	return config.Serve{
		Port: 8080, ImagesBucket: n.Bucket, ImagesTable: n.ImagesTable, AlbumsTable: n.AlbumsTable,
		Region: moto.Region, Endpoint: endpoint, MaxImageBytes: maxImage, DownloadTimeout: 4 * time.Second,
		AllowPrivate: true, IMDS: config.IMDSOff, InstanceID: "it-1", ShutdownTimeout: 5 * time.Second, LogLevel: "info",
	}
}

func newStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts moto_server")
	}
	st := &stack{moto: moto.StartT(t), names: moto.DefaultNames()}
	ctx := context.Background()
	if err := st.moto.CreateStore(ctx, st.names); err != nil {
		t.Fatal(err)
	}
	st.s3, st.ddb = st.moto.S3(), st.moto.DynamoDB()
	st.cfg = serveConfig(st.moto.Endpoint(), st.names)
	st.srv, st.http = st.newServer(t, st.cfg, "it-1")
	st.origin = newOrigin(t)
	return st
}

func (st *stack) newServer(t *testing.T, c config.Serve, instance string) (*server.Server, *httptest.Server) {
	t.Helper()
	srv, err := server.Build(context.Background(), c, server.Deps{
		AWS: server.LocalAWSConfig(moto.Region, "test", "test", ""), InstanceID: instance, OpenAPI: []byte(twinstack.OpenAPI),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv.SeedAlbums(ctx)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs
}

func call(t *testing.T, base, method, path, body string, header ...string) response {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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

func (st *stack) post(t *testing.T, originPath string, header ...string) response {
	t.Helper()
	return call(t, st.http.URL, "POST", "/images", `{"image_url":"`+st.origin.URL+originPath+`"}`, header...)
}

// consistent checks that the bucket and the images table hold exactly the
// images in want (by id): every object has its item and vice versa, no
// object version or delete marker beyond those, no open multipart upload.
func (st *stack) consistent(t *testing.T, want map[string]bool) {
	t.Helper()
	ctx := context.Background()
	objects := map[string]bool{}
	vs, err := st.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &st.names.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Versions {
		id := strings.TrimPrefix(aws.ToString(v.Key), "images/")
		if objects[id] {
			t.Errorf("object %s has several versions", id)
		}
		objects[id] = true
	}
	for _, m := range vs.DeleteMarkers {
		t.Errorf("delete marker left for %s (the version should have been deleted)", aws.ToString(m.Key))
	}
	ups, err := st.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &st.names.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		t.Errorf("multipart upload left open: %s", aws.ToString(u.Key))
	}
	items := map[string]bool{}
	scan, err := st.ddb.Scan(ctx, &dynamodb.ScanInput{TableName: &st.names.ImagesTable})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range scan.Items {
		id := it["image_id"].(*ddbtypes.AttributeValueMemberS).Value
		if s, ok := it["state"].(*ddbtypes.AttributeValueMemberS); ok {
			t.Errorf("idempotency claim %s left %s", id, s.Value)
			continue
		}
		items[id] = true
	}
	for id := range want {
		if !objects[id] || !items[id] {
			t.Errorf("image %s: object %v, item %v", id, objects[id], items[id])
		}
	}
	for id := range objects {
		if !want[id] {
			t.Errorf("stray object images/%s", id)
		}
	}
	for id := range items {
		if !want[id] {
			t.Errorf("stray item %s", id)
		}
	}
}

func TestIntegrationIngest(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	want := map[string]bool{}
	formats := map[string]string{"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
	imgs := images(t)
	var ids []string
	for _, name := range []string{"png", "jpeg", "gif", "webp"} {
		r := st.post(t, "/img."+name)
		if r.status != 201 {
			t.Fatalf("%s: %d %s", name, r.status, r.raw)
		}
		id := r.body["image_id"].(string)
		ids = append(ids, id)
		want[id] = true
		// The object, read back through the SDK.
		obj, err := st.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &st.names.Bucket, Key: aws.String("images/" + id)})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if !bytes.Equal(got, imgs[name]) || aws.ToString(obj.ContentType) != formats[name] {
			t.Errorf("%s: object %d bytes %q", name, len(got), aws.ToString(obj.ContentType))
		}
		// The item, read back through the SDK.
		it, err := st.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.names.ImagesTable,
			Key: map[string]ddbtypes.AttributeValue{"image_id": &ddbtypes.AttributeValueMemberS{Value: id}}})
		if err != nil || it.Item == nil {
			t.Fatalf("%s: item: %v", name, err)
		}
		for k, v := range map[string]string{
			"entity": "image", "content_type": formats[name], "sha256": r.body["sha256"].(string),
			"bucket": st.names.Bucket, "key": "images/" + id, "instance_id": "it-1", "created_at": r.body["created_at"].(string),
			"source_url": st.origin.URL + "/img." + name,
		} {
			if got := it.Item[k].(*ddbtypes.AttributeValueMemberS).Value; got != v {
				t.Errorf("%s: item %s = %q, want %q", name, k, got, v)
			}
		}
		// The presigned content URL serves the bytes (path-style, moto).
		c := call(t, st.http.URL, "GET", "/images/"+id+"/content", "")
		if c.status != 302 {
			t.Fatalf("content: %d", c.status)
		}
		resp, err := http.Get(c.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, imgs[name]) {
			t.Errorf("%s: presigned GET %d, %d bytes", name, resp.StatusCode, len(body))
		}
	}
	// A redirect to an image is followed; a multipart upload streams.
	for _, p := range []string{"/redirect-ok", "/big.png"} {
		r := st.post(t, p)
		if r.status != 201 {
			t.Fatalf("%s: %d %s", p, r.status, r.raw)
		}
		want[r.body["image_id"].(string)] = true
		ids = append(ids, r.body["image_id"].(string))
	}
	// Newest first, with a cursor.
	var listed []string
	cursor := ""
	for {
		path := "/images?limit=4"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		l := call(t, st.http.URL, "GET", path, "")
		if l.status != 200 {
			t.Fatalf("list: %d %s", l.status, l.raw)
		}
		for _, im := range l.body["images"].([]any) {
			listed = append(listed, im.(map[string]any)["image_id"].(string))
		}
		next, _ := l.body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	var newestFirst []string
	for i := len(ids) - 1; i >= 0; i-- {
		newestFirst = append(newestFirst, ids[i])
	}
	if strings.Join(listed, ",") != strings.Join(newestFirst, ",") {
		t.Errorf("list order\n got %v\nwant %v", listed, newestFirst)
	}
	if r := call(t, st.http.URL, "GET", "/images/"+ids[0], ""); r.status != 200 || r.body["image_id"] != ids[0] {
		t.Errorf("GET one: %d %s", r.status, r.raw)
	}
	if r := call(t, st.http.URL, "GET", "/readyz", ""); r.status != 200 {
		t.Errorf("readyz: %d %s", r.status, r.raw)
	}
	st.consistent(t, want)
}

func TestIntegrationFailureCodes(t *testing.T) {
	st := newStack(t)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"bad json", `{"image_url":`, 400, "invalid_request"},
		{"missing url", `{}`, 400, "invalid_request"},
		{"relative url", `{"image_url":"/img.png"}`, 400, "invalid_request"},
		{"gopher scheme", `{"image_url":"gopher://example.com/"}`, 400, "invalid_request"},
		{"metadata", `{"image_url":"http://169.254.169.254/latest/meta-data/"}`, 403, "blocked_destination"},
		{"decimal", `{"image_url":"http://2852039166/"}`, 403, "blocked_destination"},
		{"hex", `{"image_url":"http://0xa9fea9fe/"}`, 403, "blocked_destination"},
		{"mapped v6", `{"image_url":"http://[::ffff:169.254.169.254]/"}`, 403, "blocked_destination"},
		{"unspecified", `{"image_url":"http://0.0.0.0/"}`, 403, "blocked_destination"},
		{"multicast", `{"image_url":"http://224.0.0.1/"}`, 403, "blocked_destination"},
		{"redirect to metadata", `{"image_url":"` + st.origin.URL + `/to-metadata"}`, 403, "blocked_destination"},
		{"redirect to hex", `{"image_url":"` + st.origin.URL + `/to-hex-loopback"}`, 403, "blocked_destination"},
		{"too large declared", `{"image_url":"` + st.origin.URL + `/too-large-declared"}`, 413, "too_large"},
		{"too large chunked", `{"image_url":"` + st.origin.URL + `/too-large-chunked"}`, 413, "too_large"},
		{"text", `{"image_url":"` + st.origin.URL + `/text"}`, 422, "not_an_image"},
		{"html", `{"image_url":"` + st.origin.URL + `/html"}`, 422, "not_an_image"},
		{"404", `{"image_url":"` + st.origin.URL + `/404"}`, 502, "origin_error"},
		{"500", `{"image_url":"` + st.origin.URL + `/500"}`, 502, "origin_error"},
		{"reset", `{"image_url":"` + st.origin.URL + `/reset"}`, 502, "origin_error"},
		{"redirect loop", `{"image_url":"` + st.origin.URL + `/loop"}`, 502, "origin_error"},
		{"refused", `{"image_url":"http://127.0.0.1:1/x.png"}`, 502, "origin_error"},
		{"slow headers", `{"image_url":"` + st.origin.URL + `/slow"}`, 504, "origin_timeout"},
		{"slow body", `{"image_url":"` + st.origin.URL + `/slow-body"}`, 504, "origin_timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, st.http.URL, "POST", "/images", tc.body)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
			if !timingRE.MatchString(r.header.Get("Server-Timing")) {
				t.Errorf("Server-Timing %q", r.header.Get("Server-Timing"))
			}
		})
	}
	if r := call(t, st.http.URL, "GET", "/images/01JTEST0000000000000000099", ""); r.status != 404 || r.code() != "not_found" {
		t.Errorf("unknown image: %d %s", r.status, r.raw)
	}
	// A strict server (no ALLOW_PRIVATE_ORIGINS) refuses the loopback
	// origin, by IP and by name.
	strict := st.cfg
	strict.AllowPrivate = false
	_, hs := st.newServer(t, strict, "it-strict")
	for _, u := range []string{st.origin.URL + "/img.png", strings.Replace(st.origin.URL, "127.0.0.1", "localhost", 1) + "/img.png"} {
		if r := call(t, hs.URL, "POST", "/images", `{"image_url":"`+u+`"}`); r.status != 403 || r.code() != "blocked_destination" {
			t.Errorf("strict %s: %d %s", u, r.status, r.raw)
		}
	}
	st.consistent(t, map[string]bool{})
}

func TestIntegrationIdempotency(t *testing.T) {
	st := newStack(t)
	want := map[string]bool{}
	first := st.post(t, "/img.png", "Idempotency-Key", "seq-1")
	if first.status != 201 {
		t.Fatalf("%d %s", first.status, first.raw)
	}
	want[first.body["image_id"].(string)] = true
	// A keyed ingest writes what an unkeyed one does (its claim is the
	// conditional PutObject): 1 table + 1 index write unit; a repeat
	// writes nothing and reads the item once.
	if c := capacityOf(first.header.Get("Server-Timing")); c != "1/1/0" {
		t.Errorf("keyed ingest capacity %s, want 1/1/0 (wcu/wcu-index/rcu)", c)
	}
	for range 3 {
		again := st.post(t, "/img.png", "Idempotency-Key", "seq-1")
		if again.status != 200 || again.raw != first.raw {
			t.Fatalf("repeat: %d %s, want 200 %s", again.status, again.raw, first.raw)
		}
		if c := capacityOf(again.header.Get("Server-Timing")); c != "0/0/1" {
			t.Errorf("replay capacity %s, want 0/0/1", c)
		}
	}
	if r := st.post(t, "/img.gif", "Idempotency-Key", "seq-1"); r.status != 409 || r.code() != "conflict" {
		t.Errorf("same key, other URL: %d %s", r.status, r.raw)
	}

	// 20 concurrent requests with one new key, against two servers sharing
	// the tables: one image, one 201, nineteen 200s with the same body
	// (each server downloads once; one conditional PutObject wins, the
	// other server's repeats wait for its item), or 409 while in flight.
	_, other := st.newServer(t, st.cfg, "it-2")
	rs := make([]response, 20)
	var wg sync.WaitGroup
	for i := range rs {
		base := st.http.URL
		if i%2 == 1 {
			base = other.URL
		}
		wg.Go(func() {
			rs[i] = call(t, base, "POST", "/images", `{"image_url":"`+st.origin.URL+`/drip.png"}`, "Idempotency-Key", "concurrent-1")
		})
	}
	wg.Wait()
	created := 0
	var ok response
	for i, r := range rs {
		switch {
		case r.status == 201:
			created++
		case r.status == 200:
		case r.status == 409 && r.code() == "conflict" && strings.Contains(r.raw, "in progress"):
			continue
		default:
			t.Fatalf("concurrent %d: %d %s", i, r.status, r.raw)
		}
		if ok.body == nil {
			ok = r
		}
		if r.body["image_id"] != ok.body["image_id"] || r.body["sha256"] != ok.body["sha256"] {
			t.Errorf("concurrent %d: %s differs from %s", i, r.raw, ok.raw)
		}
	}
	if created != 1 {
		t.Errorf("%d requests created an image, want 1", created)
	}
	want[ok.body["image_id"].(string)] = true
	st.consistent(t, want)
}

// cutProxy forwards TCP to target until cut: then it refuses new
// connections and resets open ones, as a store that went away.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// TestIntegrationDynamoDBGoneAfterUpload: S3 stays, DynamoDB goes away
// while the image streams. The object was stored, the item write fails:
// 503, and the object (its version) is removed.
func TestIntegrationDynamoDBGoneAfterUpload(t *testing.T) {
	st := newStack(t)
	proxy := newCutProxy(t, strings.TrimPrefix(st.moto.Endpoint(), "http://"))
	awsCfg := server.LocalAWSConfig(moto.Region, "test", "test", "")
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(st.moto.Endpoint()); o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(proxy.url()) })
	svc, err := ingest.New(ingest.Config{
		Bucket: st.names.Bucket, Table: st.names.ImagesTable, S3: s3c, Presign: s3.NewPresignClient(s3c), DB: ddb,
		Guard: ssrf.New(ssrf.AllowPrivate(true)), DownloadTimeout: 5 * time.Second, StorageTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Images: svc, Albums: albums.New(ddb, st.names.AlbumsTable)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	for _, path := range []string{"/drip.png", "/img.jpeg"} {
		t.Run(path, func(t *testing.T) {
			done := make(chan response, 1)
			go func() {
				done <- call(t, hs.URL, "POST", "/images", `{"image_url":"`+st.origin.URL+path+`"}`)
			}()
			if path == "/drip.png" {
				time.Sleep(400 * time.Millisecond) // mid-stream
			}
			proxy.cut()
			r := <-done
			if r.status != 503 || r.code() != "storage_unavailable" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			proxy.restore()
			st.consistent(t, map[string]bool{})
		})
	}
	// Back: it works again.
	if r := call(t, hs.URL, "POST", "/images", `{"image_url":"`+st.origin.URL+`/img.gif"}`); r.status != 201 {
		t.Fatalf("after restore: %d %s", r.status, r.raw)
	}
}

// TestIntegrationMotoStopped stops moto itself, mid-request and between
// requests: 503 storage_unavailable; once it is back (same port, fresh
// state) the server recovers without a restart and nothing half-written
// shows.
func TestIntegrationMotoStopped(t *testing.T) {
	st := newStack(t)
	ok := st.post(t, "/img.png")
	if ok.status != 201 {
		t.Fatalf("%d %s", ok.status, ok.raw)
	}
	port := st.moto.Port()

	done := make(chan response, 1)
	go func() { done <- st.post(t, "/drip.png", "Idempotency-Key", "while-stopping") }()
	time.Sleep(300 * time.Millisecond)
	if err := st.moto.Stop(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.status != 503 || r.code() != "storage_unavailable" {
		t.Errorf("mid-request: %d %s", r.status, r.raw)
	}
	for _, p := range []string{"/img.gif"} {
		if r := st.post(t, p); r.status != 503 || r.code() != "storage_unavailable" {
			t.Errorf("stopped: POST %s: %d %s", p, r.status, r.raw)
		}
	}
	for _, p := range []string{"/albums", "/images", "/readyz", "/images/" + ok.body["image_id"].(string)} {
		if r := call(t, st.http.URL, "GET", p, ""); r.status != 503 {
			t.Errorf("stopped: GET %s: %d %s", p, r.status, r.raw)
		}
	}
	if r := call(t, st.http.URL, "GET", "/healthz", ""); r.status != 200 {
		t.Errorf("healthz while the store is down: %d", r.status)
	}

	// Back on the same port (moto keeps state in memory: a fresh store).
	st.moto = moto.StartPortT(t, port)
	if err := st.moto.CreateStore(context.Background(), st.names); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, st.http.URL, "GET", "/readyz", "")
		if r.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after moto came back: %s", r.raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	st.consistent(t, map[string]bool{})
	again := st.post(t, "/drip.png", "Idempotency-Key", "while-stopping")
	if again.status != 201 {
		t.Fatalf("after restart: %d %s", again.status, again.raw)
	}
	st.consistent(t, map[string]bool{again.body["image_id"].(string): true})
}

// TestIntegrationTwoServersShareAlbums: two servers on one tables pair,
// seeding concurrently, see the same albums: exactly three seeds, and an
// album added on one is served by the other.
func TestIntegrationTwoServersShareAlbums(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto_server")
	}
	m := moto.StartT(t)
	n := moto.DefaultNames()
	if err := m.CreateStore(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	c := serveConfig(m.Endpoint(), n)
	st := &stack{moto: m, names: n}
	var a, b *httptest.Server
	var wg sync.WaitGroup
	wg.Go(func() { _, a = st.newServer(t, c, "a") })
	wg.Go(func() { _, b = st.newServer(t, c, "b") })
	wg.Wait()

	list := func(base string) string {
		r := call(t, base, "GET", "/albums", "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", base, r.status, r.raw)
		}
		return r.raw
	}
	la, lb := list(a.URL), list(b.URL)
	var got server.AlbumList
	json.Unmarshal([]byte(la), &got)
	if la != lb || len(got.Albums) != 3 {
		t.Fatalf("albums differ or not three:\n a: %s\n b: %s", la, lb)
	}
	if r := call(t, a.URL, "POST", "/albums", `{"id":"4","title":"Kind of Blue","artist":"Miles Davis","price":19.99}`); r.status != 201 {
		t.Fatalf("POST on a: %d %s", r.status, r.raw)
	}
	if r := call(t, b.URL, "GET", "/albums/4", ""); r.status != 200 || r.body["title"] != "Kind of Blue" {
		t.Errorf("GET on b: %d %s", r.status, r.raw)
	}
	if r := call(t, b.URL, "POST", "/albums", `{"id":"4","title":"Other","artist":"X","price":1}`); r.status != 409 {
		t.Errorf("duplicate on b: %d %s", r.status, r.raw)
	}
	if list(a.URL) != list(b.URL) {
		t.Error("albums differ after a write")
	}
	scan, err := m.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{TableName: &n.AlbumsTable})
	if err != nil || scan.Count != 4 {
		t.Errorf("albums table holds %d items (%v), want 4", scan.Count, err)
	}
}
