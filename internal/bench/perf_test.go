package bench

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func BenchmarkNewRecord(b *testing.B) {
	cases := []struct {
		name string
		res  vegeta.Result
	}{
		{"server", vegeta.Result{Code: 201, Body: []byte(okBody), Headers: http.Header{"Server-Timing": {"download;dur=3.5, s3;dur=2, dynamodb;dur=1, total;dur=7"}}}},
		{"lambda", vegeta.Result{Code: 200, Body: []byte(`{"status":"success","image_id":"X","size_bytes":10,"request_id":"r","server_ms":12.5,"total_ms":14}`)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = newRecord("d", "run", 1, time.Time{}, &c.res)
			}
		})
	}
}

func BenchmarkSummarize(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		recs := make([]Record, n)
		t0 := time.Now()
		for i := range recs {
			recs[i] = Record{Deployment: "d", Phase: "run", OK: i%100 != 0, Code: "", Scheduled: t0, Sent: t0.Add(time.Millisecond),
				Latency: time.Duration(1000+i%5000) * time.Microsecond, DownloadMs: 1, S3Ms: 2, DynamoDBMs: 3, ServerTotalMs: 7,
				LambdaServerMs: math.NaN(), LambdaTotalMs: math.NaN(), ImageBytes: 2048}
			if !recs[i].OK {
				recs[i].Code = "timeout"
			}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Summarize(recs, Spec{Deployment: "d", Phase: "run", OfferedRate: 100, Planned: uint64(n), Active: time.Duration(n) * 10 * time.Millisecond})
			}
		})
	}
}
