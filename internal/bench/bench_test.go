package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestSlicedPacerAt(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		p    SlicedPacer
		want []time.Duration
	}{
		{"constant", SlicedPacer{PerSecond: 4, Count: 5}, []time.Duration{0, 250 * ms, 500 * ms, 750 * ms, 1000 * ms}},
		{"first of two", SlicedPacer{PerSecond: 4, Count: 6, Slice: time.Second, Index: 0, Of: 2},
			[]time.Duration{0, 250 * ms, 500 * ms, 750 * ms, 2000 * ms, 2250 * ms}},
		{"second of two", SlicedPacer{PerSecond: 4, Count: 6, Slice: time.Second, Index: 1, Of: 2},
			[]time.Duration{1000 * ms, 1250 * ms, 1500 * ms, 1750 * ms, 3000 * ms, 3250 * ms}},
		{"slow rate, second of two", SlicedPacer{PerSecond: 1, Count: 3, Slice: time.Second, Index: 1, Of: 2},
			[]time.Duration{1000 * ms, 3000 * ms, 5000 * ms}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []time.Duration
			for i := uint64(0); i < tc.p.Count; i++ {
				got = append(got, tc.p.At(i))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if _, stop := tc.p.Pace(time.Hour, tc.p.Count); !stop {
				t.Error("pacer does not stop after Count hits")
			}
			if w, stop := tc.p.Pace(0, 1); stop || w != tc.want[1] {
				t.Errorf("Pace(0, 1) = %v, %v; want %v, false", w, stop, tc.want[1])
			}
		})
	}
}

// arrivals records when each request reached a test server.
type arrivals struct {
	mu    sync.Mutex
	start time.Time
	at    []time.Duration
	by    map[string][]time.Duration // by X-Vegeta-Attack
}

func (a *arrivals) mark(r *http.Request) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	d := time.Since(a.start)
	a.at = append(a.at, d)
	if a.by == nil {
		a.by = map[string][]time.Duration{}
	}
	name := r.Header.Get("X-Vegeta-Attack")
	a.by[name] = append(a.by[name], d)
	return d
}

const okBody = `{"status":"success","image_id":"01J","bucket":"b","key":"images/01J","size_bytes":1234}`

func serverOK(a *arrivals) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a != nil {
			a.mark(r)
		}
		w.Header().Set("Server-Timing", "download;dur=3.5, s3;dur=2, dynamodb;dur=1, total;dur=7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, okBody)
	}
}

// TestOpenLoopStall: the server stalls completely for its first second; the
// client keeps sending on schedule, and the stall shows in the latencies.
func TestOpenLoopStall(t *testing.T) {
	const (
		rate  = 20.0
		dur   = 2 * time.Second
		stall = time.Second
	)
	a := &arrivals{}
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mark(r)
		<-gate // closed after `stall`: every request arriving before waits
		serverOK(nil)(w, r)
	}))
	defer srv.Close()

	d := &Driver{Timeout: 10 * time.Second}
	tgt := &Target{Name: "slow", Kind: KindServer, URL: srv.URL, ImageURL: "http://origin/x.png"}
	a.start = time.Now()
	time.AfterFunc(stall, func() { close(gate) })
	res, err := d.Run(context.Background(), Phase{Name: "run", Loads: []Load{{Target: tgt, Rate: rate, Duration: dur}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Records), int(rate*dur.Seconds()); got != want {
		t.Fatalf("sent %d requests, want %d", got, want)
	}
	// Requests reached the server on schedule while it was stalled.
	a.mu.Lock()
	during := 0
	for _, at := range a.at {
		if at < stall-50*time.Millisecond {
			during++
		}
	}
	a.mu.Unlock()
	if want := int(rate*stall.Seconds()) - 2; during < want {
		t.Errorf("only %d requests reached the stalled server during the stall, want at least %d (closed loop?)", during, want)
	}
	for _, r := range res.Records {
		if !r.OK {
			t.Fatalf("request %d failed: %s %s", r.Seq, r.Code, r.Error)
		}
		if lag := r.Lag(); lag > 150*time.Millisecond { // generous: the machine is shared
			t.Errorf("request %d left %v late", r.Seq, lag)
		}
		// Due before the stall ended: latency covers the rest of the stall.
		due := r.Scheduled.Sub(res.Started)
		if due < stall-100*time.Millisecond {
			if min := stall - due - 60*time.Millisecond; r.Latency < min {
				t.Errorf("request %d due at %v answered in %v, want at least %v", r.Seq, due, r.Latency, min)
			}
		}
	}
	s := res.Summaries[0]
	if s.Latency.Max < 900 || s.Latency.P50 > s.Latency.Max {
		t.Errorf("stall not visible: %+v", s.Latency)
	}
	if s.SendLag.P99 > 100 {
		t.Errorf("send lag p99 %.1fms", s.SendLag.P99)
	}
}

// TestSentCount: a phase sends rate x duration requests (± 1), also with
// two interleaved targets, and every request of a target falls in its own
// slices.
func TestSentCount(t *testing.T) {
	a := &arrivals{}
	srv := httptest.NewServer(serverOK(a))
	defer srv.Close()
	tests := []struct {
		rate  float64
		dur   time.Duration
		names []string
	}{
		{10, time.Second, []string{"one"}},
		{7, 1500 * time.Millisecond, []string{"one"}},
		{3.3, time.Second, []string{"one"}},
		{20, 600 * time.Millisecond, []string{"terraform", "cloudformation"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%g/s for %v to %d", tc.rate, tc.dur, len(tc.names)), func(t *testing.T) {
			var loads []Load
			for _, n := range tc.names {
				loads = append(loads, Load{Target: &Target{Name: n, Kind: KindServer, URL: srv.URL, ImageURL: "http://o/x"}, Rate: tc.rate, Duration: tc.dur})
			}
			a.mu.Lock()
			a.start, a.at, a.by = time.Now(), nil, nil
			a.mu.Unlock()
			slice := 200 * time.Millisecond
			res, err := (&Driver{}).Run(context.Background(), Phase{Name: "run", Loads: loads, Slice: slice})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.rate * tc.dur.Seconds()
			for _, s := range res.Summaries {
				if math.Abs(float64(s.Sent)-want) > 1 || s.OK != s.Sent {
					t.Errorf("%s: sent %d ok %d, want %g ± 1 all ok", s.Deployment, s.Sent, s.OK, want)
				}
			}
			if len(tc.names) < 2 {
				return
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			for i, n := range tc.names {
				for _, at := range a.by[n] {
					slot := int((at+slice/2)/slice) % len(tc.names) // tolerance: half a slice
					inOwn := int(at/slice)%len(tc.names) == i
					if !inOwn && slot != i && slot != (i+1)%len(tc.names) {
						t.Errorf("%s: request at %v outside its slices", n, at)
					}
				}
			}
		})
	}
}

func TestCountFor(t *testing.T) {
	tests := []struct {
		rate float64
		dur  time.Duration
		want uint64
	}{{1, 30 * time.Second, 30}, {2, 5 * time.Second, 10}, {0.5, 3 * time.Second, 2}, {3.3, time.Second, 3}, {0, time.Second, 0}}
	for _, tc := range tests {
		if got := CountFor(tc.rate, tc.dur); got != tc.want {
			t.Errorf("CountFor(%g, %v) = %d, want %d", tc.rate, tc.dur, got, tc.want)
		}
	}
}

func TestRunCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // after the body, the server notices the client leaving
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := (&Driver{Timeout: time.Minute}).Run(ctx, Phase{Name: "run", Loads: []Load{{
		Target: &Target{Name: "stuck", Kind: KindServer, URL: srv.URL, ImageURL: "http://o/x"}, Rate: 10, Duration: 10 * time.Second}}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Run took %v after cancel", el)
	}
	if len(res.Records) == 0 || res.Records[0].OK {
		t.Fatalf("records %+v", res.Records)
	}
	if c := res.Records[0].Code; c != "canceled" && c != "timeout" {
		t.Errorf("code %q, want canceled", c)
	}
}

func TestNewRecord(t *testing.T) {
	nan := math.NaN()
	base := Record{Deployment: "d", Phase: "run", Status: 0, DownloadMs: nan, S3Ms: nan, DynamoDBMs: nan, ServerTotalMs: nan, LambdaServerMs: nan, LambdaTotalMs: nan, ImageBytes: -1,
		WriteUnits: nan, IndexWriteUnits: nan, ReadUnits: nan}
	with := func(f func(r *Record)) Record { r := base; f(&r); return r }
	tests := []struct {
		name string
		res  vegeta.Result
		want Record
	}{
		{"server success", vegeta.Result{Code: 201, Body: []byte(okBody), Headers: http.Header{"Server-Timing": {"download;dur=3.5, s3;dur=2, dynamodb;dur=1, total;dur=7"}}},
			with(func(r *Record) {
				r.Status, r.OK, r.ImageID, r.Bucket, r.Key, r.ImageBytes = 201, true, "01J", "b", "images/01J", 1234
				r.DownloadMs, r.S3Ms, r.DynamoDBMs, r.ServerTotalMs = 3.5, 2, 1, 7
			})},
		{"server failure", vegeta.Result{Code: 502, Error: "502 Bad Gateway", Body: []byte(`{"status":"failure","error":{"code":"origin_error","message":"origin said 404"}}`)},
			with(func(r *Record) { r.Status, r.Code, r.Error = 502, "origin_error", "origin said 404" })},
		{"5xx without JSON", vegeta.Result{Code: 503, Error: "503 Service Unavailable", Body: []byte("upstream down")},
			with(func(r *Record) { r.Status, r.Code, r.Error = 503, "http_503", "503 Service Unavailable" })},
		{"lambda success", vegeta.Result{Code: 200, Body: []byte(`{"status":"success","image_id":"X","size_bytes":10,"request_id":"r","server_ms":12.5,"total_ms":14,"server_timing":"download;dur=5,s3;dur=3,dynamodb;dur=2,total;dur=11"}`)},
			with(func(r *Record) {
				r.Status, r.OK, r.ImageID, r.ImageBytes, r.LambdaServerMs, r.LambdaTotalMs = 200, true, "X", 10, 12.5, 14
				r.DownloadMs, r.S3Ms, r.DynamoDBMs, r.ServerTotalMs = 5, 3, 2, 11
			})},
		{"server units", vegeta.Result{Code: 201, Body: []byte(okBody), Headers: http.Header{"Server-Timing": {`download;dur=3.5, s3;dur=2, dynamodb;dur=1, total;dur=7, wcu;desc="2", wcu-index;desc="1", rcu;desc="0"`}}},
			with(func(r *Record) {
				r.Status, r.OK, r.ImageID, r.Bucket, r.Key, r.ImageBytes = 201, true, "01J", "b", "images/01J", 1234
				r.DownloadMs, r.S3Ms, r.DynamoDBMs, r.ServerTotalMs = 3.5, 2, 1, 7
				r.WriteUnits, r.IndexWriteUnits, r.ReadUnits = 2, 1, 0
			})},
		{"lambda units in the body", vegeta.Result{Code: 200, Body: []byte(`{"status":"success","image_id":"X","size_bytes":10,"total_ms":14,"server_timing":"total;dur=11, wcu;desc=\"1\", wcu-index;desc=\"0\""}`)},
			with(func(r *Record) {
				r.Status, r.OK, r.ImageID, r.ImageBytes, r.LambdaTotalMs, r.ServerTotalMs = 200, true, "X", 10, 14, 11
				r.WriteUnits, r.IndexWriteUnits = 1, 0
			})},
		{"lambda failure payload", vegeta.Result{Code: 200, Body: []byte(`{"status":"failure","error":{"code":"server_timeout","message":"server did not answer"},"total_ms":3000}`)},
			with(func(r *Record) {
				r.Status, r.Code, r.Error, r.LambdaTotalMs = 200, "server_timeout", "server did not answer", 3000
			})},
		{"lambda runtime error", vegeta.Result{Code: 200, Body: []byte(`{"errorMessage":"boom","errorType":"runtime.Panic"}`)},
			with(func(r *Record) { r.Status, r.Code, r.Error = 200, "function_error", "runtime.Panic: boom" })},
		{"not JSON", vegeta.Result{Code: 200, Body: []byte(`<html>`)},
			with(func(r *Record) { r.Status, r.Code = 200, "bad_response" })},
		{"timeout", vegeta.Result{Error: `Post "http://x/images": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`},
			with(func(r *Record) {
				r.Code, r.Error = "timeout", `Post "http://x/images": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
			})},
		{"refused", vegeta.Result{Error: "dial tcp 127.0.0.1:1: connect: connection refused"},
			with(func(r *Record) {
				r.Code, r.Error = "connection_refused", "dial tcp 127.0.0.1:1: connect: connection refused"
			})},
	}
	ignore := cmpopts.IgnoreFields(Record{}, "Error")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := newRecord("d", "run", 0, time.Time{}, &tc.res)
			if d := cmp.Diff(tc.want, got, cmpopts.EquateNaNs(), ignore); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if tc.want.Error != "" && !strings.Contains(got.Error, tc.want.Error) {
				t.Errorf("error %q, want it to contain %q", got.Error, tc.want.Error)
			}
			if got.OK != (got.Code == "") {
				t.Errorf("OK %v with code %q", got.OK, got.Code)
			}
		})
	}
}

func TestParseServerTiming(t *testing.T) {
	got := ParseServerTiming(`download;dur=12.5;desc="origin", s3;dur=4, cache;desc=hit, dynamodb;DUR="2.25", total;dur=20, bad;dur=x`)
	want := []Metric{{"download", 12.5}, {"s3", 4}, {"dynamodb", 2.25}, {"total", 20}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestBreakdown(t *testing.T) {
	nan := math.NaN()
	mk := func(lat time.Duration, lt, ls, st, dl, s3, ddb float64) Record {
		return Record{OK: true, Latency: lat, LambdaTotalMs: lt, LambdaServerMs: ls, ServerTotalMs: st, DownloadMs: dl, S3Ms: s3, DynamoDBMs: ddb}
	}
	tests := []struct {
		name string
		recs []Record
		want []Segment
	}{
		{"via server", []Record{mk(10*time.Millisecond, nan, nan, 8, 4, 2, 1), mk(20*time.Millisecond, nan, nan, 16, 8, 4, 2)},
			[]Segment{{SegHop, 3}, {SegDownload, 6}, {SegS3, 3}, {SegDynamoDB, 1.5}, {SegServerRest, 1.5}}},
		{"via lambda with server timing", []Record{mk(30*time.Millisecond, 25, 20, 15, 6, 4, 2)},
			[]Segment{{SegInvoke, 5}, {SegFunction, 5}, {SegHop, 5}, {SegDownload, 6}, {SegS3, 4}, {SegDynamoDB, 2}, {SegServerRest, 3}}},
		{"via lambda without server timing", []Record{mk(30*time.Millisecond, 25, 20, nan, nan, nan, nan)},
			[]Segment{{SegInvoke, 5}, {SegFunction, 5}, {SegServerCall, 20}}},
		{"nothing known", []Record{mk(30*time.Millisecond, nan, nan, nan, nan, nan, nan)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := BreakdownOf(tc.recs)
			if d := cmp.Diff(tc.want, b.Segments, cmpopts.EquateApprox(0, 1e-9)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			var sum float64
			for _, s := range b.Segments {
				sum += s.MeanMs
			}
			if b.Requests > 0 && math.Abs(sum-LatencyOf(micros(tc.recs)).Mean) > 1e-9 {
				t.Errorf("segments add up to %g, mean latency %g", sum, LatencyOf(micros(tc.recs)).Mean)
			}
		})
	}
}

func micros(recs []Record) []int64 {
	var out []int64
	for i := range recs {
		out = append(out, recs[i].LatencyMicros())
	}
	return out
}

func TestLatencyOf(t *testing.T) {
	var us []int64
	for i := int64(1); i <= 1000; i++ {
		us = append(us, i*1000) // 1..1000 ms
	}
	l := LatencyOf(us)
	// HDR percentiles at 3 significant digits: within 0.1% of exact.
	exact := map[string][2]float64{"p50": {l.P50, 500}, "p90": {l.P90, 900}, "p99": {l.P99, 990}, "p99.9": {l.P999, 999}}
	for name, v := range exact {
		if math.Abs(v[0]-v[1]) > v[1]*0.001 {
			t.Errorf("%s = %g, want %g ± 0.1%%", name, v[0], v[1])
		}
	}
	if l.Max != 1000 || l.Min != 1 || l.Mean != 500.5 {
		t.Errorf("max/min/mean = %g/%g/%g", l.Max, l.Min, l.Mean)
	}
}

func TestJudge(t *testing.T) {
	f := FindMax{P99Bound: time.Second}
	tests := []struct {
		name string
		s    Summary
		ok   bool
		why  string
	}{
		{"fine", Summary{OfferedRate: 10, Planned: 10, Sent: 10, OK: 10, Latency: Latency{P99: 200}}, true, ""},
		{"p99", Summary{OfferedRate: 10, Planned: 10, Sent: 10, OK: 10, Latency: Latency{P99: 1500}}, false, "p99 1.5s over the 1s bound"},
		{"errors", Summary{OfferedRate: 10, Planned: 10, Sent: 10, OK: 5, Errors: 5, ErrorsByCode: map[string]int{"timeout": 3, "http_503": 2}}, false, "errors: 3 timeout (timeout), 2 http_503 (5xx)"},
		{"client lag", Summary{OfferedRate: 10, Planned: 10, Sent: 10, OK: 10, SendLag: Latency{P99: 500}}, false, "the client fell behind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := judge(tc.s, f)
			if ok != tc.ok || !strings.Contains(why, tc.why) {
				t.Errorf("judge = %v %q, want %v %q", ok, why, tc.ok, tc.why)
			}
		})
	}
}

// TestFindMax: a server that fails from the 11th request of a step on
// (a step of one second at more than 10/s) sustains 8/s and breaks at 32/s.
func TestFindMax(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seq, _ := strconv.Atoi(r.Header.Get("X-Vegeta-Seq")); seq >= 10 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"failure","error":{"code":"storage_unavailable","message":"busy"}}`)
			return
		}
		serverOK(nil)(w, r)
	}))
	defer srv.Close()
	tgt := &Target{Name: "t", Kind: KindServer, URL: srv.URL, ImageURL: "http://o/x"}
	res, err := (&Driver{}).FindMax(context.Background(), []*Target{tgt}, FindMax{
		Start: 2, Factor: 4, MaxSteps: 3, StepDuration: time.Second, P99Bound: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Results[0]
	if r.MaxSustained != 8 || r.BrokeAt != 32 || !strings.Contains(r.Reason, "storage_unavailable (5xx)") || !strings.Contains(r.Stopped, "step limit") {
		t.Errorf("result %+v", r)
	}
	var rates []float64
	for _, s := range r.Steps {
		rates = append(rates, s.Rate)
	}
	if d := cmp.Diff([]float64{2, 8, 32}, rates); d != "" {
		t.Errorf("rates (-want +got):\n%s", d)
	}
	phases := map[string]int{}
	for _, rec := range res.Records {
		phases[rec.Phase]++
	}
	if d := cmp.Diff(map[string]int{"step1": 2, "step2": 8, "step3": 32}, phases); d != "" {
		t.Errorf("records per phase (-want +got):\n%s", d)
	}
}

// TestFunctionURLSigned: function-URL requests carry a SigV4 signature for
// the service "lambda" that the receiving side can recompute.
func TestFunctionURLSigned(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token")
	var mu sync.Mutex
	var problems []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := checkSignature(r, creds); p != "" {
			mu.Lock()
			problems = append(problems, p)
			mu.Unlock()
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"Message":"Forbidden"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"status":"success","image_id":"Z","server_ms":5,"total_ms":6}`)
	}))
	defer srv.Close()
	tgt := &Target{Name: "aws", Kind: KindFunctionURL, URL: srv.URL, ImageURL: "https://example.com/a.png", Region: "eu-west-1", Credentials: aws.NewCredentialsCache(creds)}
	res, err := (&Driver{}).Run(context.Background(), Phase{Name: "run", Loads: []Load{{Target: tgt, Rate: 10, Duration: 300 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("signature problems: %q", problems)
	}
	if s := res.Summaries[0]; s.OK != 3 || s.MeanLambdaTotalMs != 6 {
		t.Errorf("summary %+v", s)
	}
}

func checkSignature(r *http.Request, creds aws.CredentialsProvider) string {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-1/lambda/aws4_request") {
		return "authorization header: " + auth
	}
	if r.Header.Get("X-Amz-Security-Token") != "token" {
		return "no session token"
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "x-amz-date: " + err.Error()
	}
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["image_url"] != "https://example.com/a.png" {
		return fmt.Sprintf("body %v %v", body, err)
	}
	// Rebuild the request from the signed headers and sign it again.
	_, signed, _ := strings.Cut(auth, "SignedHeaders=")
	signed, _, _ = strings.Cut(signed, ",")
	re, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			re.Header.Set(h, r.Header.Get(h))
		}
	}
	re.Header.Del("Authorization")
	c, _ := creds.Retrieve(context.Background())
	if err := v4.NewSigner().SignHTTP(context.Background(), c, re, r.Header.Get("X-Amz-Content-Sha256"), "lambda", "eu-west-1", when); err != nil {
		return err.Error()
	}
	if re.Header.Get("Authorization") != auth {
		return "signature mismatch"
	}
	return ""
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		kind Kind
		url  string
		want string
	}{
		{KindServer, "http://127.0.0.1:8080", "http://127.0.0.1:8080/images"},
		{KindServer, "http://127.0.0.1:8080/", "http://127.0.0.1:8080/images"},
		{KindServer, "http://127.0.0.1:8080/images", "http://127.0.0.1:8080/images"},
		{KindLambdaInvoke, "http://127.0.0.1:9000", "http://127.0.0.1:9000" + InvokePath},
		{KindLambdaInvoke, "http://127.0.0.1:9000" + InvokePath, "http://127.0.0.1:9000" + InvokePath},
		{KindFunctionURL, "https://abc.lambda-url.us-east-1.on.aws", "https://abc.lambda-url.us-east-1.on.aws/"},
	}
	for _, tc := range tests {
		got, err := (&Target{Name: "x", Kind: tc.kind, URL: tc.url}).Endpoint()
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %q, %v; want %q", tc.kind, tc.url, got, err, tc.want)
		}
	}
	if _, err := (&Target{Name: "x", Kind: KindServer, URL: "ftp://h"}).Endpoint(); err == nil {
		t.Error("ftp URL accepted")
	}
	if got := RegionFromFunctionURL("https://abc123.lambda-url.eu-central-1.on.aws/"); got != "eu-central-1" {
		t.Errorf("region %q", got)
	}
}

// TestSummarizeWriteUnits: the means cover successful answers that carried
// the server's count; failures and answers without it are left out.
func TestSummarizeWriteUnits(t *testing.T) {
	nan := math.NaN()
	rec := func(ok bool, wcu, idx float64) Record {
		return Record{Deployment: "d", Phase: "run", OK: ok, Latency: time.Millisecond, WriteUnits: wcu, IndexWriteUnits: idx, ReadUnits: nan,
			DownloadMs: nan, S3Ms: nan, DynamoDBMs: nan, ServerTotalMs: nan, LambdaServerMs: nan, LambdaTotalMs: nan, ImageBytes: -1}
	}
	recs := []Record{rec(true, 2, 1), rec(true, 1, 0), rec(true, nan, nan), rec(false, 2, 0)}
	s := Summarize(recs, Spec{Deployment: "d", Phase: "run", OfferedRate: 1, Planned: 4, Active: 4 * time.Second})
	if s.CapacityAnswers != 2 || s.MeanWriteUnits != 1.5 || s.MeanIndexWriteUnits != 0.5 || s.MeanReadUnits != 0 {
		t.Errorf("answers %d, means %g / %g / %g; want 2, 1.5 / 0.5 / 0", s.CapacityAnswers, s.MeanWriteUnits, s.MeanIndexWriteUnits, s.MeanReadUnits)
	}
}
