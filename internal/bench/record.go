package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Record is one request as measured. Timing fields in milliseconds are NaN
// when the answer did not carry them.
type Record struct {
	Deployment  string
	Phase       string  // "run", or "step1", "step2"... with --find-max
	OfferedRate float64 // requests per second the phase offered
	Seq         uint64
	// Scheduled is when the pacer meant to send the request; Sent is when
	// it was sent. Latency runs from Sent to the end of the answer.
	Scheduled time.Time
	Sent      time.Time
	Latency   time.Duration
	Status    int // HTTP status; 0 when no answer came
	OK        bool
	Code      string // error code; empty when OK
	Error     string // error detail; empty when OK
	BytesOut  uint64
	BytesIn   uint64

	// The server's Server-Timing breakdown.
	DownloadMs, S3Ms, DynamoDBMs, ServerTotalMs float64
	// The Lambda's own figures: server_ms (its call to the server) and
	// total_ms (the whole invocation).
	LambdaServerMs, LambdaTotalMs float64
	// The DynamoDB capacity the server counted for the request
	// (Server-Timing wcu, wcu-index, rcu); NaN when not said.
	WriteUnits, IndexWriteUnits, ReadUnits float64

	// What the server stored (empty / -1 when not said).
	ImageID    string
	Bucket     string
	Key        string
	ImageBytes int64
}

// LatencyMicros is the latency in whole microseconds (at least 1), as
// recorded in the histogram and written to requests.csv.
func (r *Record) LatencyMicros() int64 {
	us := r.Latency.Microseconds()
	if us < 1 {
		us = 1
	}
	return us
}

// Lag is how late the request went out compared to its schedule.
func (r *Record) Lag() time.Duration { return r.Sent.Sub(r.Scheduled) }

// answer is the union of the JSON bodies the targets return: the server's
// success and failure bodies, the Lambda's payload (the server's JSON plus
// request_id, server_ms, total_ms) and the Lambda runtime's error shape.
type answer struct {
	Status       string          `json:"status"`
	Error        json.RawMessage `json:"error"`
	ImageID      string          `json:"image_id"`
	Bucket       string          `json:"bucket"`
	Key          string          `json:"key"`
	SizeBytes    *int64          `json:"size_bytes"`
	ServerMs     *float64        `json:"server_ms"`
	TotalMs      *float64        `json:"total_ms"`
	ServerTiming json.RawMessage `json:"server_timing"`
	ErrorType    string          `json:"errorType"`
	ErrorMessage string          `json:"errorMessage"`
}

type failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// newRecord reduces a vegeta result to a Record.
func newRecord(deployment, phase string, rate float64, scheduled time.Time, res *vegeta.Result) Record {
	r := Record{
		Deployment: deployment, Phase: phase, OfferedRate: rate, Seq: res.Seq,
		Scheduled: scheduled, Sent: res.Timestamp, Latency: res.Latency,
		Status: int(res.Code), BytesOut: res.BytesOut, BytesIn: res.BytesIn,
		DownloadMs: math.NaN(), S3Ms: math.NaN(), DynamoDBMs: math.NaN(), ServerTotalMs: math.NaN(),
		LambdaServerMs: math.NaN(), LambdaTotalMs: math.NaN(), ImageBytes: -1,
		WriteUnits: math.NaN(), IndexWriteUnits: math.NaN(), ReadUnits: math.NaN(),
	}
	if res.Code == 0 {
		r.Code, r.Error = transportCode(res.Error), res.Error
		return r
	}
	r.applyServerTiming(res.Headers.Get("Server-Timing"))

	var a answer
	jsonErr := json.Unmarshal(bytes.TrimSpace(res.Body), &a)
	if jsonErr == nil {
		r.ImageID, r.Bucket, r.Key = a.ImageID, a.Bucket, a.Key
		if a.SizeBytes != nil {
			r.ImageBytes = *a.SizeBytes
		}
		if a.ServerMs != nil {
			r.LambdaServerMs = *a.ServerMs
		}
		if a.TotalMs != nil {
			r.LambdaTotalMs = *a.TotalMs
		}
		r.applyBodyTiming(a.ServerTiming)
	}
	f := parseFailure(a.Error)
	switch {
	case res.Code < 200 || res.Code >= 300:
		r.Code = f.Code
		if r.Code == "" {
			r.Code = "http_" + strconv.Itoa(int(res.Code))
		}
		r.Error = nonEmpty(f.Message, nonEmpty(a.ErrorMessage, res.Error))
	case jsonErr != nil && len(bytes.TrimSpace(res.Body)) > 0:
		r.Code, r.Error = "bad_response", "answer is not JSON: "+jsonErr.Error()
	case a.ErrorType != "" || a.ErrorMessage != "":
		r.Code, r.Error = "function_error", strings.TrimPrefix(a.ErrorType+": "+a.ErrorMessage, ": ")
	case a.Status == "failure" || f.Code != "":
		r.Code, r.Error = nonEmpty(f.Code, "failure"), f.Message
	default:
		r.OK = true
	}
	return r
}

func parseFailure(raw json.RawMessage) failure {
	var f failure
	if len(raw) == 0 || string(raw) == "null" {
		return f
	}
	if json.Unmarshal(raw, &f) == nil {
		return f
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		f.Code, f.Message = "failure", s
	}
	return f
}

// transportCode names a failure that produced no HTTP answer.
func transportCode(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "timeout"), strings.Contains(m, "deadline exceeded"):
		return "timeout"
	case strings.Contains(m, "connection refused"):
		return "connection_refused"
	case strings.Contains(m, "connection reset"):
		return "connection_reset"
	case strings.Contains(m, "context canceled"):
		return "canceled"
	case strings.Contains(m, "eof"):
		return "connection_closed"
	case strings.Contains(m, "aws credentials"), strings.Contains(m, "sign request"):
		return "signing_failed"
	}
	return "transport_error"
}

// applyServerTiming reads a Server-Timing header value:
// "download;dur=12.3, s3;dur=4.5, dynamodb;dur=2.1, total;dur=20".
func (r *Record) applyServerTiming(h string) {
	for _, m := range ParseServerTiming(h) {
		r.setTiming(m.Name, m.Dur)
	}
	for name, v := range ServerTimingUnits(h) {
		switch name {
		case "wcu":
			r.WriteUnits = v
		case "wcu-index":
			r.IndexWriteUnits = v
		case "rcu":
			r.ReadUnits = v
		}
	}
}

// ServerTimingUnits reads the metrics of a Server-Timing value whose desc
// is a number (the server's capacity units: wcu;desc="2"), by name.
func ServerTimingUnits(h string) map[string]float64 {
	out := map[string]float64{}
	for _, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		name := strings.ToLower(strings.TrimSpace(fields[0]))
		for _, p := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "desc") {
				continue
			}
			d, err := strconv.ParseFloat(strings.Trim(strings.TrimSpace(v), `"`), 64)
			if err == nil && name != "" && !math.IsNaN(d) && !math.IsInf(d, 0) && d >= 0 {
				out[name] = d
			}
		}
	}
	return out
}

// applyBodyTiming reads a server_timing field of the Lambda's payload, as
// a header-style string or as an object of names to milliseconds.
func (r *Record) applyBodyTiming(raw json.RawMessage) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		r.applyServerTiming(s)
		return
	}
	var m map[string]float64
	if json.Unmarshal(raw, &m) == nil {
		for k, v := range m {
			r.setTiming(k, v)
		}
	}
}

func (r *Record) setTiming(name string, ms float64) {
	switch n := strings.ToLower(name); {
	case n == "download" || strings.HasPrefix(n, "origin"):
		r.DownloadMs = ms
	case strings.HasPrefix(n, "s3"):
		r.S3Ms = ms
	case strings.HasPrefix(n, "dynamo") || strings.HasPrefix(n, "ddb"):
		r.DynamoDBMs = ms
	case n == "total" || n == "app":
		r.ServerTotalMs = ms
	}
}

// Metric is one Server-Timing metric.
type Metric struct {
	Name string
	Dur  float64 // milliseconds
}

// ParseServerTiming parses a Server-Timing header value (RFC-less W3C
// syntax: comma-separated metrics, ';'-separated parameters). Metrics
// without a usable dur are left out.
func ParseServerTiming(h string) []Metric {
	var out []Metric
	for _, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		name := strings.TrimSpace(fields[0])
		if name == "" {
			continue
		}
		for _, p := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "dur") {
				continue
			}
			d, err := strconv.ParseFloat(strings.Trim(strings.TrimSpace(v), `"`), 64)
			if err == nil && !math.IsNaN(d) && !math.IsInf(d, 0) {
				out = append(out, Metric{Name: name, Dur: d})
			}
		}
	}
	return out
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
