package relay

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// BenchmarkInvoke measures the relay's own cost per invocation (decode,
// one keep-alive POST to a local server, answer) for both event shapes.
func BenchmarkInvoke(b *testing.B) {
	srv := newFakeServer(b, answer(201, "application/json", successBody))
	u, err := ParseServerURL(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(u, NewHTTPClient(), slog.New(slog.DiscardHandler), Options{})
	if err != nil {
		b.Fatal(err)
	}
	body := `{"image_url":"` + imageURL + `"}`
	cases := []struct {
		name    string
		payload []byte
	}{
		{"direct", []byte(body)},
		{"function_url_base64", []byte(urlEvent("POST", body, true))},
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench"})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Invoke(ctx, c.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
