package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// FindMax configures the search for the highest rate each target
// sustains. Each step runs StepDuration at one rate per target (targets
// still searching are interleaved as in a normal run); a step is sustained
// when every request succeeded, p99 stayed within P99Bound, and the client
// kept its schedule. The rate doubles (Factor) until a step breaks, then
// bisects between the best sustained and the first broken rate. The search
// is bounded by MaxSteps and MaxRate, so its time is bounded by
// MaxSteps x StepDuration x targets (plus request timeouts).
type FindMax struct {
	Start        float64
	Factor       float64
	MaxRate      float64
	MaxSteps     int
	StepDuration time.Duration
	Slice        time.Duration
	P99Bound     time.Duration
	// MaxLag is how late requests may leave (p99) before the client, not
	// the target, is deemed the limit; default max(50ms, 1/rate).
	MaxLag time.Duration
}

// Step is one rate tried on one target.
type Step struct {
	Rate      float64 `json:"rate"`
	Sustained bool    `json:"sustained"`
	Reason    string  `json:"reason,omitempty"`
	Summary   Summary `json:"summary"`
}

// MaxResult is the outcome of the search for one target.
type MaxResult struct {
	Deployment string `json:"deployment"`
	// MaxSustained is the highest rate sustained (0: none, not even the
	// first step). BrokeAt is the lowest rate that broke (0: none broke).
	MaxSustained float64 `json:"max_sustained_rps"`
	BrokeAt      float64 `json:"broke_at_rps,omitempty"`
	// Reason says why BrokeAt broke (timeouts, 5xx, which code, p99).
	Reason string `json:"reason"`
	// Why the search stopped.
	Stopped string `json:"stopped"`
	Steps   []Step `json:"steps"`
}

// FindMaxResult is what a search measured: per target, and every record of
// every step (phase "step1", "step2"...).
type FindMaxResult struct {
	Results []MaxResult
	Records []Record
	Phases  []*PhaseResult
}

func (f *FindMax) defaults() {
	if f.Start <= 0 {
		f.Start = 1
	}
	if f.Factor <= 1 {
		f.Factor = 2
	}
	if f.MaxRate <= 0 {
		f.MaxRate = 256
	}
	if f.MaxSteps <= 0 {
		f.MaxSteps = 8
	}
	if f.StepDuration <= 0 {
		f.StepDuration = 5 * time.Second
	}
	if f.P99Bound <= 0 {
		f.P99Bound = time.Second
	}
}

// Bound is the longest the search may send for, given n targets.
func (f FindMax) Bound(n int) time.Duration {
	f.defaults()
	return time.Duration(f.MaxSteps*n) * f.StepDuration
}

type search struct {
	target  *Target
	lo, hi  float64 // best sustained; lowest broken (Inf: none yet)
	res     MaxResult
	done    bool
	current float64
}

func (s *search) next(f FindMax) (float64, bool) {
	switch {
	case math.IsInf(s.hi, 1) && s.lo == 0:
		return f.Start, true
	case math.IsInf(s.hi, 1):
		if s.lo >= f.MaxRate {
			s.res.Stopped = fmt.Sprintf("sustained the highest rate allowed (%g/s, --max-rate)", f.MaxRate)
			return 0, false
		}
		return math.Min(s.lo*f.Factor, f.MaxRate), true
	}
	gap := s.hi - s.lo
	if gap <= math.Max(0.5, s.lo*0.1) {
		s.res.Stopped = fmt.Sprintf("bracketed within %.3g/s", gap)
		return 0, false
	}
	return roundRate((s.lo + s.hi) / 2), true
}

func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*10) / 10
}

// FindMax searches each target's highest sustained rate.
func (d *Driver) FindMax(ctx context.Context, targets []*Target, f FindMax) (*FindMaxResult, error) {
	f.defaults()
	searches := make([]*search, len(targets))
	for i, t := range targets {
		searches[i] = &search{target: t, hi: math.Inf(1), res: MaxResult{Deployment: t.Name}}
	}
	out := &FindMaxResult{}
	for step := 1; step <= f.MaxSteps; step++ {
		var loads []Load
		var active []*search
		for _, s := range searches {
			if s.done {
				continue
			}
			r, ok := s.next(f)
			if !ok {
				s.done = true
				continue
			}
			s.current = r
			loads = append(loads, Load{Target: s.target, Rate: r, Duration: f.StepDuration})
			active = append(active, s)
		}
		if len(loads) == 0 {
			break
		}
		ph, err := d.Run(ctx, Phase{Name: fmt.Sprintf("step%d", step), Loads: loads, Slice: f.Slice})
		if ph != nil {
			out.Phases = append(out.Phases, ph)
			out.Records = append(out.Records, ph.Records...)
		}
		if err != nil {
			for _, s := range searches {
				if s.res.Stopped == "" {
					s.res.Stopped = "interrupted"
				}
			}
			out.Results = results(searches)
			return out, err
		}
		for i, s := range active {
			sum := ph.Summaries[i]
			ok, reason := judge(sum, f)
			s.res.Steps = append(s.res.Steps, Step{Rate: s.current, Sustained: ok, Reason: reason, Summary: sum})
			if ok {
				s.lo = math.Max(s.lo, s.current)
				continue
			}
			if s.current < s.hi {
				s.hi, s.res.Reason = s.current, reason
			}
			if s.current <= 0.1 {
				s.done, s.res.Stopped = true, "broke at the lowest rate tried"
			}
		}
	}
	for _, s := range searches {
		if s.res.Stopped == "" {
			s.res.Stopped = fmt.Sprintf("step limit reached (--max-steps %d)", f.MaxSteps)
		}
	}
	out.Results = results(searches)
	return out, nil
}

func results(searches []*search) []MaxResult {
	out := make([]MaxResult, len(searches))
	for i, s := range searches {
		s.res.MaxSustained = s.lo
		if !math.IsInf(s.hi, 1) {
			s.res.BrokeAt = s.hi
		}
		out[i] = s.res
	}
	return out
}

// judge decides whether a step was sustained, and if not, says why.
func judge(s Summary, f FindMax) (bool, string) {
	var why []string
	if s.Errors > 0 {
		why = append(why, "errors: "+ErrorList(s.ErrorsByCode))
	}
	if p99 := time.Duration(s.Latency.P99 * float64(time.Millisecond)); p99 > f.P99Bound {
		why = append(why, fmt.Sprintf("p99 %s over the %s bound", p99.Round(time.Millisecond), f.P99Bound))
	}
	maxLag := f.MaxLag
	if maxLag <= 0 {
		maxLag = max(50*time.Millisecond, time.Duration(float64(time.Second)/s.OfferedRate))
	}
	if lag := time.Duration(s.SendLag.P99 * float64(time.Millisecond)); lag > maxLag {
		why = append(why, fmt.Sprintf("the client fell behind its schedule (send lag p99 %s): the load generator, not the target, was the limit", lag.Round(time.Millisecond)))
	}
	if uint64(s.Sent) < s.Planned {
		why = append(why, fmt.Sprintf("only %d of %d requests went out", s.Sent, s.Planned))
	}
	return len(why) == 0, strings.Join(why, "; ")
}

// ErrorList renders errors by code, most frequent first, marking the
// class of each: "3 timeout, 2 http_503 (5xx)".
func ErrorList(by map[string]int) string {
	type kv struct {
		code string
		n    int
	}
	var l []kv
	for c, n := range by {
		l = append(l, kv{c, n})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].n != l[j].n {
			return l[i].n > l[j].n
		}
		return l[i].code < l[j].code
	})
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = fmt.Sprintf("%d %s", e.n, e.code)
		if cls := ErrorClass(e.code); cls != "" {
			parts[i] += " (" + cls + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// ErrorClass groups an error code: "timeout", "5xx", "4xx", "connection"
// or "" when the code says it all.
func ErrorClass(code string) string {
	switch code {
	case "timeout", "server_timeout", "origin_timeout":
		return "timeout"
	case "storage_unavailable", "server_unreachable", "bad_gateway", "origin_error", "internal", "function_error":
		return "5xx"
	case "invalid_request", "blocked_destination", "too_large", "not_an_image", "not_found":
		return "4xx"
	case "connection_refused", "connection_reset", "connection_closed":
		return "connection"
	}
	if strings.HasPrefix(code, "http_5") {
		return "5xx"
	}
	if strings.HasPrefix(code, "http_4") {
		return "4xx"
	}
	return ""
}
