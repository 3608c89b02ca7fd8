package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Driver runs phases of load. The zero value is usable; fields are
// optional.
type Driver struct {
	// Timeout bounds each request (default 30s, the Lambda's timeout).
	Timeout time.Duration
	// MaxWorkers bounds the requests in flight per target (default
	// 10,000). Open loop holds while in-flight requests stay below it.
	MaxWorkers uint64
	// MaxBody bounds how much of each answer is read (default 1 MiB).
	MaxBody int64
	// Progress, when set, is shown while a phase runs.
	Progress *Progress
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
}

// Load is the load one target gets in a phase.
type Load struct {
	Target *Target
	// Rate is requests per second during the target's slices; Duration is
	// its total sending time, so it gets Rate x Duration requests.
	Rate     float64
	Duration time.Duration
}

// Phase is a stretch of load over one or more targets. With several, time
// is cut into slices of Slice (default 1s) dealt round-robin to the
// targets in order, so noise on the machine hits them alike.
type Phase struct {
	Name  string // "run", "step1"...
	Loads []Load
	Slice time.Duration
}

// PhaseResult is what a phase measured.
type PhaseResult struct {
	Phase     string
	Started   time.Time
	Wall      time.Duration
	Records   []Record // by deployment (in load order), then sequence
	Summaries []Summary
}

// Run sends the phase's load and waits for every answer. When ctx ends
// early it stops sending, cancels what is in flight and returns what was
// measured along with ctx's error.
func (d *Driver) Run(ctx context.Context, ph Phase) (*PhaseResult, error) {
	if len(ph.Loads) == 0 {
		return nil, errors.New("bench: a phase needs at least one target")
	}
	slice := ph.Slice
	if slice <= 0 {
		slice = time.Second
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	maxWorkers := d.MaxWorkers
	if maxWorkers == 0 {
		maxWorkers = 10000
	}
	maxBody := d.MaxBody
	if maxBody == 0 {
		maxBody = 1 << 20
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	type lane struct {
		load    Load
		pacer   SlicedPacer
		live    *live
		atk     *vegeta.Attacker
		tr      vegeta.Targeter
		client  *http.Client
		records []Record
	}
	lanes := make([]*lane, len(ph.Loads))
	names := map[string]bool{}
	for i, l := range ph.Loads {
		if l.Target == nil || l.Rate <= 0 || l.Duration <= 0 {
			return nil, fmt.Errorf("bench: load %d: need a target, a rate > 0 and a duration > 0", i)
		}
		if names[l.Target.Name] {
			return nil, fmt.Errorf("bench: target %q given twice", l.Target.Name)
		}
		names[l.Target.Name] = true
		ln := &lane{load: l, live: newLive(l.Target.Name, CountFor(l.Rate, l.Duration))}
		ln.pacer = SlicedPacer{PerSecond: l.Rate, Count: ln.live.planned, Slice: slice, Index: i, Of: len(ph.Loads)}
		tr, err := l.Target.targeter(runCtx, ln.live.markSent)
		if err != nil {
			return nil, err
		}
		ln.tr = tr
		ln.client = newClient(runCtx, timeout)
		ln.atk = vegeta.NewAttacker(vegeta.Client(ln.client), vegeta.MaxWorkers(maxWorkers), vegeta.MaxBody(maxBody))
		lanes[i] = ln
	}

	res := &PhaseResult{Phase: ph.Name, Started: time.Now()}
	lives := make([]*live, len(lanes))
	for i, ln := range lanes {
		lives[i] = ln.live
	}
	stopProgress := d.Progress.start(ph.Name, res.Started, lives)

	var wg sync.WaitGroup
	for _, ln := range lanes {
		// A safety bound on top of the count: vegeta stops by itself once
		// the pacer has issued Count requests.
		bound := ln.pacer.End() + 10*time.Second + ln.pacer.End()/10
		began := time.Now()
		results := ln.atk.Attack(ln.tr, ln.pacer, bound, ln.load.Target.Name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range results {
				rec := newRecord(ln.load.Target.Name, ph.Name, ln.load.Rate, began.Add(ln.pacer.At(r.Seq)), r)
				ln.live.add(&rec)
				ln.records = append(ln.records, rec)
			}
		}()
		log.Debug("attack started", "deployment", ln.load.Target.Name, "rate", ln.load.Rate, "planned", ln.pacer.Count)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, ln := range lanes {
			ln.atk.Stop()
		}
		cancel()
		<-done
	}
	res.Wall = time.Since(res.Started)
	stopProgress()
	for _, ln := range lanes {
		ln.client.CloseIdleConnections()
		sort.Slice(ln.records, func(a, b int) bool { return ln.records[a].Seq < ln.records[b].Seq })
		res.Records = append(res.Records, ln.records...)
	}
	for _, ln := range lanes {
		res.Summaries = append(res.Summaries, Summarize(res.Records, Spec{
			Deployment: ln.load.Target.Name, Phase: ph.Name, OfferedRate: ln.load.Rate,
			Planned: ln.pacer.Count, Active: time.Duration(float64(ln.pacer.Count) / ln.load.Rate * float64(time.Second)),
		}))
	}
	return res, ctx.Err()
}

// newClient is one target's HTTP client: its own connection pool, every
// request bound to ctx so that an interrupt cancels what is in flight.
func newClient(ctx context.Context, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: 10000,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{Timeout: timeout, Transport: ctxTransport{ctx: ctx, next: tr}}
}

type ctxTransport struct {
	ctx  context.Context
	next *http.Transport
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(r.WithContext(t.ctx))
}

func (t ctxTransport) CloseIdleConnections() { t.next.CloseIdleConnections() }

// live holds one target's running counts for the progress line.
type live struct {
	name    string
	planned uint64
	sent    atomic.Uint64

	mu     sync.Mutex
	done   int
	ok     int
	errors int
	hist   *histogram
}

func newLive(name string, planned uint64) *live {
	return &live{name: name, planned: planned, hist: newHistogram()}
}

func (l *live) markSent() { l.sent.Add(1) }

func (l *live) add(r *Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done++
	if r.OK {
		l.ok++
	} else {
		l.errors++
	}
	l.hist.record(r.LatencyMicros())
}

// Snapshot is a target's progress so far.
type Snapshot struct {
	Name     string
	Planned  uint64
	Sent     uint64
	Done     int
	OK       int
	Errors   int
	P50, P99 time.Duration
}

func (l *live) snapshot() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Snapshot{
		Name: l.name, Planned: l.planned, Sent: l.sent.Load(), Done: l.done, OK: l.ok, Errors: l.errors,
		P50: l.hist.at(50), P99: l.hist.at(99),
	}
}
