package origin

import (
	"bytes"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/image/webp"
)

func TestEverySampleDecodes(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, err := Generate(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := http.DetectContentType(s.Bytes); got != s.ContentType {
				t.Errorf("sniffed %q, want %q", got, s.ContentType)
			}
			var cfg image.Config
			var format string
			if s.ContentType == "image/webp" {
				cfg, err = webp.DecodeConfig(bytes.NewReader(s.Bytes))
				format = "webp"
			} else {
				cfg, format, err = image.DecodeConfig(bytes.NewReader(s.Bytes))
			}
			if err != nil {
				t.Fatalf("decode %s: %v", format, err)
			}
			want := sizeOf(t, name)
			if cfg.Width != want.Width || cfg.Height != want.Height {
				t.Fatalf("size %dx%d, want %dx%d", cfg.Width, cfg.Height, want.Width, want.Height)
			}
		})
	}
}

func sizeOf(t *testing.T, name string) Size {
	for _, s := range Sizes {
		if bytes.HasPrefix([]byte(name), []byte(s.Name+".")) {
			return s
		}
	}
	t.Fatalf("no size for %s", name)
	return Size{}
}

// The WebP writer is lossless: decoding gives back the pattern exactly.
func TestWebPRoundTrip(t *testing.T) {
	for _, sz := range []Size{{"1x1", 1, 1}, {"odd", 7, 3}, {"small", 64, 48}} {
		t.Run(sz.Name, func(t *testing.T) {
			src := Pattern(sz.Width, sz.Height)
			var buf bytes.Buffer
			if err := EncodeWebP(&buf, src); err != nil {
				t.Fatal(err)
			}
			got, err := webp.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			for y := range sz.Height {
				for x := range sz.Width {
					r1, g1, b1, _ := src.At(x, y).RGBA()
					r2, g2, b2, _ := got.At(x, y).RGBA()
					if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
						t.Fatalf("pixel %d,%d: got %v want %v", x, y, got.At(x, y), src.At(x, y))
					}
				}
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, _ := Generate("small.jpg")
	b, _ := Generate("small.jpg")
	if !bytes.Equal(a.Bytes, b.Bytes) {
		t.Fatal("two generations differ")
	}
}

func TestServer(t *testing.T) {
	srv := httptest.NewServer(NewServer())
	defer srv.Close()
	tests := []struct {
		path string
		code int
		ct   string
	}{
		{"/healthz", 200, "text/plain; charset=utf-8"},
		{"/medium.png", 200, "image/png"},
		{"/small.webp", 200, "image/webp"},
		{"/large.gif", 200, "image/gif"},
		{"/small.jpg", 200, "image/jpeg"},
		{"/not-an-image.txt", 200, "text/plain; charset=utf-8"},
		{"/huge.png", 404, "text/plain; charset=utf-8"},
	}
	type result struct {
		Code int
		CT   string
	}
	for _, tc := range tests {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if d := cmp.Diff(result{tc.code, tc.ct}, result{resp.StatusCode, resp.Header.Get("Content-Type")}); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.path, d)
		}
	}
}

func TestUnknownSample(t *testing.T) {
	for _, n := range []string{"medium", "medium.bmp", "tiny.png"} {
		if _, err := Generate(n); err == nil {
			t.Errorf("Generate(%q): no error", n)
		}
	}
}
