package lbproxy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Proxy. Zero fields take the DefaultConfig values.
type Config struct {
	// HealthPath is requested on every target (default "/healthz").
	HealthPath string
	// Interval between health checks (default 2s; the ALB's minimum is 5s,
	// shorter suits a local system).
	Interval time.Duration
	// Timeout of one health check (default 1s).
	Timeout time.Duration
	// HealthyThreshold and UnhealthyThreshold are consecutive results
	// needed to change a target's state (defaults 1 and 2).
	HealthyThreshold, UnhealthyThreshold int
	// NoHealthCheck treats every target as healthy (targets without a
	// health endpoint, such as the Lambda emulator, or targets whose
	// health the caller decides and acts on: it adds and removes them).
	NoHealthCheck bool
	// MaxInFlight caps the requests one target serves at once; a request
	// that finds every target busy waits for one (or for its context).
	// Zero means no cap. The Lambda emulator takes one invocation at a
	// time (two overlapping ones crash it), as one Lambda execution
	// environment does: a pool of emulators behind MaxInFlight 1 is the
	// local stand-in for Lambda's concurrency.
	MaxInFlight int
}

// DefaultConfig is what New uses for zero fields.
var DefaultConfig = Config{HealthPath: "/healthz", Interval: 2 * time.Second, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}

// Target is one backend with its health and its request counters. A
// removed target keeps counting the requests that were in flight on it.
type Target struct {
	URL     *url.URL
	proxy   *httputil.ReverseProxy
	tr      *http.Transport
	healthy atomic.Bool
	mu      sync.Mutex
	ok, bad int // consecutive results
	// slots holds one token per request the target may serve at once
	// (nil: no cap).
	slots chan struct{}

	inFlight, requests, lost, refused atomic.Int64
}

// Stats are a target's request counters.
type Stats struct {
	// InFlight requests were sent to the target and have no answer yet.
	InFlight int64 `json:"in_flight"`
	// Requests were sent to the target (answered or not).
	Requests int64 `json:"requests"`
	// Lost requests were sent to the target and its answer never came
	// (the connection broke: the target died with them in flight); the
	// client got a 502.
	Lost int64 `json:"lost"`
	// Refused requests found no listener (connection refused, so never
	// sent) and were tried on another target.
	Refused int64 `json:"refused"`
}

// Stats reads t's counters.
func (t *Target) Stats() Stats {
	return Stats{InFlight: t.inFlight.Load(), Requests: t.requests.Load(), Lost: t.lost.Load(), Refused: t.refused.Load()}
}

// Healthy reports whether the target takes traffic.
func (t *Target) Healthy() bool { return t.healthy.Load() }

// Proxy is an http.Handler that spreads requests over healthy targets.
type Proxy struct {
	cfg Config
	// targets is replaced, never changed in place, so that requests read
	// it without a lock; mu serialises the writers.
	targets atomic.Pointer[[]*Target]
	mu      sync.Mutex
	next    atomic.Uint64
	log     *slog.Logger
	client  *http.Client
	// freed is signalled (without blocking) whenever a capped target
	// finishes a request, waking one waiting request.
	freed chan struct{}
}

// ErrNoTargets reports a Proxy built without targets.
var ErrNoTargets = errors.New("lbproxy: no targets")

// New builds a Proxy over targets. Targets start unhealthy until their first
// check passes (call Check or Run). log may be nil.
func New(targets []*url.URL, cfg Config, log *slog.Logger) (*Proxy, error) {
	if len(targets) == 0 {
		return nil, ErrNoTargets
	}
	p := NewPool(cfg, log)
	for _, u := range targets {
		p.Add(u)
	}
	return p, nil
}

// NewPool builds a Proxy without targets, for a caller that adds and
// removes them as they come and go (Add, Remove): the Auto Scaling
// group's stand-in, whose instances change while the balancer's address
// must not. log may be nil.
func NewPool(cfg Config, log *slog.Logger) *Proxy {
	d := DefaultConfig
	if cfg.HealthPath == "" {
		cfg.HealthPath = d.HealthPath
	}
	if cfg.Interval <= 0 {
		cfg.Interval = d.Interval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.HealthyThreshold <= 0 {
		cfg.HealthyThreshold = d.HealthyThreshold
	}
	if cfg.UnhealthyThreshold <= 0 {
		cfg.UnhealthyThreshold = d.UnhealthyThreshold
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{cfg: cfg, log: log, client: &http.Client{Timeout: cfg.Timeout}, freed: make(chan struct{}, 1)}
	p.targets.Store(&[]*Target{})
	return p
}

// Add makes u a target and returns it; a URL already present is returned
// as it is. It is healthy at once with NoHealthCheck, otherwise after its
// first passing check.
func (p *Proxy) Add(u *url.URL) *Target {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := *p.targets.Load()
	for _, t := range cur {
		if t.URL.String() == u.String() {
			return t
		}
	}
	t := &Target{URL: u}
	if p.cfg.NoHealthCheck {
		t.healthy.Store(true)
	}
	if p.cfg.MaxInFlight > 0 {
		t.slots = make(chan struct{}, p.cfg.MaxInFlight)
	}
	// A transport of its own: removing the target closes its idle
	// connections, so that no later request reuses a connection to a
	// process that is gone.
	t.tr = http.DefaultTransport.(*http.Transport).Clone()
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = t.tr
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if a, ok := r.Context().Value(attemptKey{}).(*attempt); ok {
			a.err = err
			if a.retryable(err) {
				return // ServeHTTP tries another target
			}
		}
		if r.Context().Err() == nil { // not the client giving up
			t.lost.Add(1)
		}
		p.log.Warn("target failed", "target", t.URL.String(), "err", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, `{"status":"failure","error":{"code":"bad_gateway","message":"target failed"}}`+"\n")
	}
	t.proxy = rp
	next := append(append([]*Target{}, cur...), t)
	p.targets.Store(&next)
	return t
}

// Remove takes u out of rotation at once; requests in flight on it run
// to their end. It reports whether u was a target.
func (p *Proxy) Remove(u *url.URL) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := *p.targets.Load()
	next := make([]*Target, 0, len(cur))
	var gone *Target
	for _, t := range cur {
		if t.URL.String() == u.String() {
			gone = t
			continue
		}
		next = append(next, t)
	}
	if gone == nil {
		return false
	}
	gone.healthy.Store(false)
	p.targets.Store(&next)
	gone.tr.CloseIdleConnections()
	return true
}

// Targets lists the current targets in order.
func (p *Proxy) Targets() []*Target { return append([]*Target(nil), *p.targets.Load()...) }

// attempt is one request's try on one target, shared with the error
// handler through the request's context.
type attempt struct {
	body *guardBody
	err  error
}

type attemptKey struct{}

// retryable reports whether err proves the request never reached the
// target, so that it can be sent to another: the connection was never
// made (refused: the process is gone, its port closed) and nothing of the
// body was read.
func (a *attempt) retryable(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return false
	}
	return a.body == nil || !a.body.read.Load()
}

// guardBody lets a request body outlive one try: the transport closes the
// body it was given even when it never read it, and a retry needs it
// open. It records whether any byte was read (then no retry). The server
// closes the real body when the handler returns.
type guardBody struct {
	rc   io.ReadCloser
	read atomic.Bool
}

func (g *guardBody) Read(b []byte) (int, error) {
	n, err := g.rc.Read(b)
	if n > 0 {
		g.read.Store(true)
	}
	return n, err
}

func (g *guardBody) Close() error { return nil }

// ServeHTTP forwards r to the next healthy target in turn; 503 when none is
// healthy. A target that refuses the connection is skipped and the request
// goes to the next (it was never sent). The proxy answers its own health on
// /lb/healthz.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/lb/healthz" {
		if p.Healthy() == 0 {
			http.Error(w, "no healthy targets", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
		return
	}
	var body *guardBody
	if r.Body != nil && r.Body != http.NoBody {
		body = &guardBody{rc: r.Body}
		r.Body = body
	}
	// One place in the rotation per request: a retry goes on from there.
	start := p.next.Add(1) - 1
	tried := map[*Target]bool{}
	for {
		t, anyHealthy := p.pick(start, tried)
		if t != nil {
			a := p.forward(t, w, r, body)
			if a.err != nil && a.retryable(a.err) {
				t.requests.Add(-1)
				t.refused.Add(1)
				tried[t] = true
				p.log.Warn("target refused the connection; trying another", "target", t.URL.String(), "err", a.err)
				continue
			}
			return
		}
		if !anyHealthy {
			break
		}
		// Every healthy target is busy: wait for one to finish. freed
		// holds one wake-up at most, so two releases can wake one waiter:
		// the short poll bounds how long another waits for a free slot.
		select {
		case <-p.freed:
		case <-time.After(20 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Del("X-Lb-Target")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `{"status":"failure","error":{"code":"server_unreachable","message":"no healthy targets"}}`+"\n")
}

// forward sends r to t and reports how the try ended.
func (p *Proxy) forward(t *Target, w http.ResponseWriter, r *http.Request, body *guardBody) *attempt {
	a := &attempt{body: body}
	w.Header().Set("X-Lb-Target", t.URL.Host)
	t.requests.Add(1)
	t.inFlight.Add(1)
	defer func() {
		t.inFlight.Add(-1)
		p.release(t)
		// The reverse proxy aborts the handler (panics with
		// http.ErrAbortHandler) when the target breaks off in the middle
		// of its answer: that request was lost on it too.
		if v := recover(); v != nil {
			t.lost.Add(1)
			panic(v)
		}
	}()
	t.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), attemptKey{}, a)))
	return a
}

// pick takes the first healthy target from start on in turn, not yet
// tried, that has a free slot. It reports whether any untried target is
// healthy at all.
func (p *Proxy) pick(start uint64, tried map[*Target]bool) (*Target, bool) {
	ts := *p.targets.Load()
	n := len(ts)
	if n == 0 {
		return nil, false
	}
	anyHealthy := false
	for i := range n {
		t := ts[(start+uint64(i))%uint64(n)]
		if !t.healthy.Load() || tried[t] {
			continue
		}
		anyHealthy = true
		if t.slots == nil {
			return t, true
		}
		select {
		case t.slots <- struct{}{}:
			return t, true
		default:
		}
	}
	return nil, anyHealthy
}

// release frees t's slot and wakes a waiting request.
func (p *Proxy) release(t *Target) {
	if t.slots == nil {
		return
	}
	<-t.slots
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

// Healthy counts the healthy targets.
func (p *Proxy) Healthy() int {
	n := 0
	for _, t := range *p.targets.Load() {
		if t.healthy.Load() {
			n++
		}
	}
	return n
}

// Status reports each target's URL and health.
func (p *Proxy) Status() map[string]bool {
	ts := *p.targets.Load()
	m := make(map[string]bool, len(ts))
	for _, t := range ts {
		m[t.URL.String()] = t.healthy.Load()
	}
	return m
}

// Check health-checks every target once, concurrently.
func (p *Proxy) Check(ctx context.Context) {
	if p.cfg.NoHealthCheck {
		return
	}
	var wg sync.WaitGroup
	for _, t := range *p.targets.Load() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.checkOne(ctx, t)
		}()
	}
	wg.Wait()
}

func (p *Proxy) checkOne(ctx context.Context, t *Target) {
	u := strings.TrimRight(t.URL.String(), "/") + p.cfg.HealthPath
	ok := false
	if req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil); err == nil {
		if resp, err := p.client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ok = resp.StatusCode >= 200 && resp.StatusCode < 300
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok {
		t.ok, t.bad = t.ok+1, 0
		if !t.healthy.Load() && t.ok >= p.cfg.HealthyThreshold {
			t.healthy.Store(true)
			p.log.Info("target healthy", "target", t.URL.String())
		}
		return
	}
	t.ok, t.bad = 0, t.bad+1
	// A target that never passed is unhealthy from the start; one that
	// did needs UnhealthyThreshold failures in a row.
	if t.healthy.Load() && t.bad >= p.cfg.UnhealthyThreshold {
		t.healthy.Store(false)
		p.log.Warn("target unhealthy", "target", t.URL.String())
	}
}

// Run checks every target now and then every Interval until ctx ends.
func (p *Proxy) Run(ctx context.Context) {
	p.Check(ctx)
	tick := time.NewTicker(p.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			p.Check(ctx)
		}
	}
}
