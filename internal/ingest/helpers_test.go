package ingest_test

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/ingest"
	"github.com/twinstack/twinstack/internal/ingest/ingesttest"
	"github.com/twinstack/twinstack/internal/ssrf"
)

const (
	bucket = "test-images"
	table  = "test-images-table"
)

// webp1x1 is a valid 1x1 lossless WebP.
var webp1x1 = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for x := range 16 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 128, 255})
		}
	}
	return img
}

// samples are one small image per accepted format.
func samples(t testing.TB) map[string][]byte {
	t.Helper()
	img := testImage()
	var p, j, g bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&g, img, nil); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"image/png": p.Bytes(), "image/jpeg": j.Bytes(), "image/gif": g.Bytes(), "image/webp": webp1x1}
}

// bigPNG is n bytes that sniff as PNG: a PNG signature followed by
// deterministic filler.
func bigPNG(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	for i := 8; i < n; i++ {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

type fixture struct {
	svc    *ingest.Service
	s3     *ingesttest.S3
	db     *ingesttest.DB
	origin *httptest.Server
	mux    *http.ServeMux
	cfg    ingest.Config
}

func (f *fixture) url(path string) string { return f.origin.URL + path }

// newFixture builds a Service over fakes with an origin on loopback
// (allowed with AllowPrivate).
func newFixture(t testing.TB, edit func(*ingest.Config)) *fixture {
	t.Helper()
	f := &fixture{s3: ingesttest.NewS3(bucket), db: ingesttest.NewDB(), mux: http.NewServeMux()}
	f.db.CreateTable(table, "image_id", ingesttest.Index{Name: constructs.ListIndex, Partition: constructs.ListPartition, Sort: constructs.ListSort})
	f.origin = httptest.NewServer(f.mux)
	t.Cleanup(f.origin.Close)
	var clock atomic.Int64
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var idMu sync.Mutex
	ids := 0
	f.cfg = ingest.Config{
		Bucket: bucket, Table: table, S3: f.s3, Presign: f.s3, DB: f.db,
		Guard:           ssrf.New(ssrf.AllowPrivate(true)),
		MaxBytes:        20 << 20,
		DownloadTimeout: 2 * time.Second,
		InstanceID:      "test-instance",
		Now:             func() time.Time { return base.Add(time.Duration(clock.Add(1)) * time.Millisecond) },
		NewID: func() string {
			idMu.Lock()
			defer idMu.Unlock()
			ids++
			s := strconv.Itoa(ids)
			return "01JTEST0000000000000000000"[:26-len(s)] + s
		},
	}
	if edit != nil {
		edit(&f.cfg)
	}
	f.s3.Now = f.cfg.Now // LastModified on the service's clock
	svc, err := ingest.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// serve registers a handler answering body with status 200.
func (f *fixture) serve(path string, body []byte) {
	f.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
}
