package bench

import (
	"math"
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 µs to 1 h at 3 significant digits.
const (
	histMinMicros = 1
	histMaxMicros = int64(time.Hour / time.Microsecond)
	histSigFigs   = 3
)

// NewHistogram returns the latency histogram every summary uses; values are
// microseconds. Tests that recompute percentiles from requests.csv use it too.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMinMicros, histMaxMicros, histSigFigs)
}

// Latency summarises latencies in milliseconds. Percentiles come from the
// HDR histogram of whole microseconds (NewHistogram; ValueAtQuantile,
// capped at the largest value recorded); Min, Max and Mean are exact.
type Latency struct {
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p99_9"`
	Max    float64 `json:"max"`
	Min    float64 `json:"min"`
	Mean   float64 `json:"mean"`
	StdDev float64 `json:"stddev"`
}

// LatencyOf summarises microsecond latencies.
func LatencyOf(micros []int64) Latency {
	if len(micros) == 0 {
		return Latency{}
	}
	h := NewHistogram()
	var sum, lo, hi int64 = 0, math.MaxInt64, 0
	for _, us := range micros {
		if us > histMaxMicros {
			us = histMaxMicros
		}
		_ = h.RecordValue(us) // in range by construction
		sum += us
		lo, hi = min(lo, us), max(hi, us)
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	// The histogram answers with the highest value equivalent to the
	// quantile's bucket, which can exceed the largest value recorded.
	q := func(p float64) float64 { return ms(min(h.ValueAtQuantile(p), hi)) }
	return Latency{
		P50: q(50), P90: q(90), P99: q(99), P999: q(99.9),
		Max: ms(hi), Min: ms(lo), Mean: float64(sum) / float64(len(micros)) / 1000,
		StdDev: h.StdDev() / 1000,
	}
}

// Spec describes the phase a summary covers.
type Spec struct {
	Deployment  string
	Phase       string
	OfferedRate float64       // requests per second while sending
	Planned     uint64        // requests the schedule held
	Active      time.Duration // this deployment's sending time: Planned / OfferedRate
}

// Summary is what one deployment did in one phase.
type Summary struct {
	Deployment  string  `json:"deployment"`
	Phase       string  `json:"phase"`
	OfferedRate float64 `json:"offered_rps"`
	// Planned requests; Sent is how many went out (they differ only when
	// the run was interrupted or the client failed).
	Planned      uint64         `json:"planned"`
	Sent         int            `json:"sent"`
	OK           int            `json:"ok"`
	Errors       int            `json:"errors"`
	ErrorsByCode map[string]int `json:"errors_by_code"`
	// ActiveSeconds is the deployment's sending time. SentRate and
	// Throughput (successful answers) are per second of it.
	ActiveSeconds float64 `json:"active_seconds"`
	SentRate      float64 `json:"sent_rps"`
	Throughput    float64 `json:"throughput_rps"`
	// Latency covers every answered or failed request, errors included.
	Latency Latency `json:"latency_ms"`
	// OKLatency covers successful requests only.
	OKLatency Latency `json:"ok_latency_ms"`
	// SendLag is how late requests left compared to their schedule: near
	// zero when the client kept the open-loop schedule.
	SendLag   Latency   `json:"send_lag_ms"`
	Breakdown Breakdown `json:"breakdown"`
	// Means of what the answers said, for the cost model.
	MeanImageBytes    float64 `json:"mean_image_bytes"`
	MeanBytesIn       float64 `json:"mean_bytes_in"`
	MeanBytesOut      float64 `json:"mean_bytes_out"`
	MeanLambdaTotalMs float64 `json:"mean_lambda_total_ms"`
	// DynamoDB capacity per successful request, as the server counted it
	// (Server-Timing); CapacityAnswers is how many answers carried it
	// (0: the means are not measured).
	MeanWriteUnits      float64 `json:"mean_write_units"`
	MeanIndexWriteUnits float64 `json:"mean_index_write_units"`
	MeanReadUnits       float64 `json:"mean_read_units"`
	CapacityAnswers     int     `json:"capacity_answers"`
	// LambdaBilledMs is the mean of total_ms rounded up to whole ms, as
	// Lambda bills; 0 when the answers carried no total_ms.
	LambdaBilledMs float64 `json:"lambda_billed_ms"`
}

// Summarize summarises the records of one deployment and phase (records of
// others are ignored).
func Summarize(recs []Record, s Spec) Summary {
	out := Summary{
		Deployment: s.Deployment, Phase: s.Phase, OfferedRate: s.OfferedRate, Planned: s.Planned,
		ErrorsByCode: map[string]int{}, ActiveSeconds: s.Active.Seconds(),
	}
	all := make([]int64, 0, len(recs))
	ok := make([]int64, 0, len(recs))
	lag := make([]int64, 0, len(recs))
	var mine []Record // this deployment's and phase's records
	sameAll := true
	for i := range recs {
		if recs[i].Deployment != s.Deployment || recs[i].Phase != s.Phase {
			sameAll = false
			break
		}
	}
	if sameAll {
		mine = recs
	}
	var imgSum, imgN, inSum, outSum, ltSum, billSum, ltN float64
	var wcu, wcuIndex, rcu float64
	for i := range recs {
		r := &recs[i]
		if r.Deployment != s.Deployment || r.Phase != s.Phase {
			continue
		}
		if !sameAll {
			mine = append(mine, *r)
		}
		out.Sent++
		all = append(all, r.LatencyMicros())
		l := r.Lag().Microseconds()
		lag = append(lag, max(l, 1))
		inSum += float64(r.BytesIn)
		outSum += float64(r.BytesOut)
		if !r.OK {
			out.Errors++
			out.ErrorsByCode[r.Code]++
			continue
		}
		out.OK++
		ok = append(ok, r.LatencyMicros())
		if r.ImageBytes >= 0 {
			imgSum += float64(r.ImageBytes)
			imgN++
		}
		if !math.IsNaN(r.WriteUnits) {
			wcu += r.WriteUnits
			wcuIndex += nanZero(r.IndexWriteUnits)
			rcu += nanZero(r.ReadUnits)
			out.CapacityAnswers++
		}
		if !math.IsNaN(r.LambdaTotalMs) {
			ltSum += r.LambdaTotalMs
			billSum += math.Ceil(r.LambdaTotalMs)
			ltN++
		}
	}
	out.Latency = LatencyOf(all)
	out.OKLatency = LatencyOf(ok)
	out.SendLag = LatencyOf(lag)
	if out.ActiveSeconds > 0 {
		out.SentRate = float64(out.Sent) / out.ActiveSeconds
		out.Throughput = float64(out.OK) / out.ActiveSeconds
	}
	if out.Sent > 0 {
		out.MeanBytesIn = inSum / float64(out.Sent)
		out.MeanBytesOut = outSum / float64(out.Sent)
	}
	if imgN > 0 {
		out.MeanImageBytes = imgSum / imgN
	}
	if ltN > 0 {
		out.MeanLambdaTotalMs = ltSum / ltN
		out.LambdaBilledMs = billSum / ltN
	}
	if n := float64(out.CapacityAnswers); n > 0 {
		out.MeanWriteUnits, out.MeanIndexWriteUnits, out.MeanReadUnits = wcu/n, wcuIndex/n, rcu/n
	}
	out.Breakdown = BreakdownOf(mine)
	return out
}

// Breakdown says where the time of successful requests went. Segments are
// means over the requests that carried every figure they need, so they add
// up to the mean client latency of those requests (Requests of them).
type Breakdown struct {
	Requests int       `json:"requests"`
	Segments []Segment `json:"segments"`
	// Components are the raw figures (means and medians over the requests
	// that carried each).
	Components []Component `json:"components"`
}

// Segment is one part of the client latency.
type Segment struct {
	Name   string  `json:"name"`
	MeanMs float64 `json:"mean_ms"`
}

// Component is one raw timing figure.
type Component struct {
	Name   string  `json:"name"`
	N      int     `json:"n"`
	MeanMs float64 `json:"mean_ms"`
	P50Ms  float64 `json:"p50_ms"`
}

// Segment names, in drawing order (closest to the client first).
const (
	SegInvoke     = "invoke overhead" // client -> Lambda service/emulator and back
	SegFunction   = "in-function"     // the Lambda's own work besides its server call
	SegServerCall = "server call"     // the Lambda's server call, when the server gave no breakdown
	SegHop        = "network hop"     // between the caller and the server (and load balancer)
	SegDownload   = "download"        // origin fetch
	SegS3         = "S3 put"          // object upload
	SegDynamoDB   = "DynamoDB put"    // item write
	SegServerRest = "server other"    // the server's time outside the three
)

// BreakdownOf computes the breakdown of records (all of one deployment and
// phase).
func BreakdownOf(recs []Record) Breakdown {
	var b Breakdown
	comps := []struct {
		name string
		get  func(*Record) float64
	}{
		{"client latency", func(r *Record) float64 { return float64(r.LatencyMicros()) / 1000 }},
		{"lambda total_ms", func(r *Record) float64 { return r.LambdaTotalMs }},
		{"lambda server_ms", func(r *Record) float64 { return r.LambdaServerMs }},
		{"server total", func(r *Record) float64 { return r.ServerTotalMs }},
		{"download", func(r *Record) float64 { return r.DownloadMs }},
		{"s3", func(r *Record) float64 { return r.S3Ms }},
		{"dynamodb", func(r *Record) float64 { return r.DynamoDBMs }},
	}
	for _, c := range comps {
		var vals []float64
		for i := range recs {
			if v := c.get(&recs[i]); recs[i].OK && !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			continue
		}
		b.Components = append(b.Components, Component{Name: c.name, N: len(vals), MeanMs: mean(vals), P50Ms: median(vals)})
	}

	// Segments over the requests that carry everything the richest
	// available decomposition needs.
	has := func(v float64) bool { return !math.IsNaN(v) }
	lambda, server := false, false
	for i := range recs {
		r := &recs[i]
		if !r.OK {
			continue
		}
		lambda = lambda || (has(r.LambdaTotalMs) && has(r.LambdaServerMs))
		server = server || (has(r.ServerTotalMs) && has(r.DownloadMs) && has(r.S3Ms) && has(r.DynamoDBMs))
	}
	var sums []float64
	names := []string{}
	if lambda {
		names = append(names, SegInvoke, SegFunction)
	}
	if server {
		names = append(names, SegHop, SegDownload, SegS3, SegDynamoDB, SegServerRest)
	} else if lambda {
		names = append(names, SegServerCall)
	}
	if len(names) == 0 {
		return b
	}
	sums = make([]float64, len(names))
	for i := range recs {
		r := &recs[i]
		if !r.OK {
			continue
		}
		if lambda && !(has(r.LambdaTotalMs) && has(r.LambdaServerMs)) {
			continue
		}
		if server && !(has(r.ServerTotalMs) && has(r.DownloadMs) && has(r.S3Ms) && has(r.DynamoDBMs)) {
			continue
		}
		lat := float64(r.LatencyMicros()) / 1000
		var seg []float64
		outer := lat // what the server part sits inside
		if lambda {
			seg = append(seg, lat-r.LambdaTotalMs, r.LambdaTotalMs-r.LambdaServerMs)
			outer = r.LambdaServerMs
		}
		if server {
			rest := r.ServerTotalMs - r.DownloadMs - r.S3Ms - r.DynamoDBMs
			seg = append(seg, outer-r.ServerTotalMs, r.DownloadMs, r.S3Ms, r.DynamoDBMs, rest)
		} else {
			seg = append(seg, outer)
		}
		for j, v := range seg {
			sums[j] += v
		}
		b.Requests++
	}
	if b.Requests == 0 {
		return b
	}
	for j, n := range names {
		b.Segments = append(b.Segments, Segment{Name: n, MeanMs: sums[j] / float64(b.Requests)})
	}
	return b
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// median is the lower median (an observed value).
func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[(len(s)-1)/2]
}

// histogram is a latency histogram in microseconds.
type histogram struct{ h *hdrhistogram.Histogram }

func newHistogram() *histogram { return &histogram{h: NewHistogram()} }

func (h *histogram) record(us int64) { _ = h.h.RecordValue(min(max(us, histMinMicros), histMaxMicros)) }

func (h *histogram) at(q float64) time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.ValueAtQuantile(q)) * time.Microsecond
}

func nanZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
