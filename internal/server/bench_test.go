package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkPostImage is one POST /images through the whole HTTP stack
// (client, Echo, middleware, ingest) with an in-process origin and store
// fakes: requests/s and allocations per request (client side included).
func BenchmarkPostImage(b *testing.B) {
	e := newEnvB(b)
	body := `{"image_url":"` + e.origin.URL + `/cat.webp"}`
	client := &http.Client{}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		resp, err := client.Post(e.http.URL+"/images", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		if n++; n%1000 == 0 {
			e.s3.Reset()
			e.db.Reset()
		}
	}
}
