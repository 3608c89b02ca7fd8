package origin

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Size is a named image size.
type Size struct {
	Name          string
	Width, Height int
}

// Sizes are the sample sizes: a thumbnail, a photo and a large picture.
var Sizes = []Size{{"small", 64, 48}, {"medium", 640, 480}, {"large", 1600, 1200}}

// Formats are the sample formats with their content types.
var Formats = map[string]string{
	"png":  "image/png",
	"jpg":  "image/jpeg",
	"gif":  "image/gif",
	"webp": "image/webp",
}

// Sample is one generated image.
type Sample struct {
	Name        string // "medium.png"
	ContentType string
	Bytes       []byte
}

// Names lists every sample name ("large.gif", …), sorted.
func Names() []string {
	var ns []string
	for _, s := range Sizes {
		for f := range Formats {
			ns = append(ns, s.Name+"."+f)
		}
	}
	sort.Strings(ns)
	return ns
}

// DefaultSample is the image `invoke` and the benchmark fetch by default.
const DefaultSample = "medium.png"

// Pattern draws the deterministic test picture of size w×h: colour bands
// with a diagonal gradient, so that every format has real work to do.
func Pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			band := (x * 6 / max(w, 1)) % 6
			g := uint8((x + y) * 255 / max(w+h-2, 1))
			c := [6]color.RGBA{
				{230, 25, 75, 255}, {60, 180, 75, 255}, {255, 225, 25, 255},
				{0, 130, 200, 255}, {245, 130, 48, 255}, {145, 30, 180, 255},
			}[band]
			img.Set(x, y, color.RGBA{c.R/2 + g/2, c.G/2 + (255-g)/2, c.B/2 + g/4, 255})
		}
	}
	return img
}

// Generate encodes the sample called name ("medium.webp").
func Generate(name string) (Sample, error) {
	base, ext, ok := strings.Cut(name, ".")
	ct, okf := Formats[ext]
	if !ok || !okf {
		return Sample{}, fmt.Errorf("origin: unknown sample %q", name)
	}
	var sz *Size
	for i := range Sizes {
		if Sizes[i].Name == base {
			sz = &Sizes[i]
		}
	}
	if sz == nil {
		return Sample{}, fmt.Errorf("origin: unknown sample %q", name)
	}
	img := Pattern(sz.Width, sz.Height)
	var buf bytes.Buffer
	var err error
	switch ext {
	case "png":
		err = png.Encode(&buf, img)
	case "jpg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	case "gif":
		p := image.NewPaletted(img.Bounds(), palette.Plan9)
		draw.Draw(p, p.Rect, img, image.Point{}, draw.Src)
		err = gif.Encode(&buf, p, nil)
	case "webp":
		err = EncodeWebP(&buf, img)
	}
	if err != nil {
		return Sample{}, fmt.Errorf("origin: encode %s: %w", name, err)
	}
	return Sample{Name: name, ContentType: ct, Bytes: buf.Bytes()}, nil
}

// Server serves the samples at /<name>, an index at /, a non-image at
// /not-an-image.txt and its health at /healthz. Samples are generated on
// first request and kept.
type Server struct {
	mu    sync.Mutex
	cache map[string]Sample
}

// NewServer returns a Server with an empty cache.
func NewServer() *Server { return &Server{cache: map[string]Sample{}} }

// Sample returns the named sample, generating it once.
func (s *Server) Sample(name string) (Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sm, ok := s.cache[name]; ok {
		return sm, nil
	}
	sm, err := Generate(name)
	if err != nil {
		return Sample{}, err
	}
	s.cache[name] = sm
	return sm, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	switch name {
	case "healthz":
		io.WriteString(w, "ok\n")
		return
	case "":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, n := range Names() {
			fmt.Fprintln(w, "/"+n)
		}
		return
	case "not-an-image.txt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "this is not an image\n")
		return
	}
	sm, err := s.Sample(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", sm.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(sm.Bytes)))
	if r.Method != http.MethodHead {
		w.Write(sm.Bytes)
	}
}
