package ingest_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/twinstack/twinstack/internal/ingest"
)

// BenchmarkPut measures one ingest end to end with an in-process origin
// (httptest on loopback) and the in-process store fakes (objects counted,
// not kept): throughput (B/s via SetBytes) and allocations per request,
// by image size. 8 MiB takes the multipart path.
func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20, 8 << 20} {
		b.Run(byteSize(size), func(b *testing.B) {
			f := newFixture(b, nil)
			f.s3.Discard = true
			body := bigPNG(size)
			f.mux.HandleFunc("/img.png", func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
			in := ingest.PutInput{URL: f.url("/img.png")}
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, _, err := f.svc.Put(ctx, in); err != nil {
					b.Fatal(err)
				}
				if n++; n%1000 == 0 {
					f.s3.Reset()
					f.db.Reset()
				}
			}
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
