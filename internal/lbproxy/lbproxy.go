package lbproxy

import (
	"context"
	"errors"
	"io"
	"log/slog"
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
	// health endpoint, such as the Lambda emulator).
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

// Target is one backend with its health.
type Target struct {
	URL     *url.URL
	proxy   *httputil.ReverseProxy
	healthy atomic.Bool
	mu      sync.Mutex
	ok, bad int // consecutive results
	// slots holds one token per request the target may serve at once
	// (nil: no cap).
	slots chan struct{}
}

// Proxy is an http.Handler that spreads requests over healthy targets.
type Proxy struct {
	cfg     Config
	targets []*Target
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
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Proxy{cfg: cfg, log: log, client: &http.Client{Timeout: cfg.Timeout}, freed: make(chan struct{}, 1)}
	for _, u := range targets {
		t := &Target{URL: u}
		if cfg.NoHealthCheck {
			t.healthy.Store(true)
		}
		if cfg.MaxInFlight > 0 {
			t.slots = make(chan struct{}, cfg.MaxInFlight)
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		target := t
		rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			p.log.Warn("target failed", "target", target.URL.String(), "err", err)
			http.Error(w, `{"status":"failure","error":{"code":"bad_gateway","message":"target failed"}}`, http.StatusBadGateway)
		}
		t.proxy = rp
		p.targets = append(p.targets, t)
	}
	return p, nil
}

// ServeHTTP forwards r to the next healthy target in turn; 503 when none is
// healthy. The proxy answers its own health on /lb/healthz.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/lb/healthz" {
		if p.Healthy() == 0 {
			http.Error(w, "no healthy targets", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
		return
	}
	for {
		t, anyHealthy := p.pick()
		if t != nil {
			w.Header().Set("X-Lb-Target", t.URL.Host)
			t.proxy.ServeHTTP(w, r)
			p.release(t)
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
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `{"status":"failure","error":{"code":"server_unreachable","message":"no healthy targets"}}`+"\n")
}

// pick takes the next healthy target in turn that has a free slot. It
// reports whether any target is healthy at all.
func (p *Proxy) pick() (*Target, bool) {
	n := len(p.targets)
	start := p.next.Add(1) - 1
	anyHealthy := false
	for i := range n {
		t := p.targets[(start+uint64(i))%uint64(n)]
		if !t.healthy.Load() {
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
	for _, t := range p.targets {
		if t.healthy.Load() {
			n++
		}
	}
	return n
}

// Status reports each target's URL and health, in target order.
func (p *Proxy) Status() map[string]bool {
	m := make(map[string]bool, len(p.targets))
	for _, t := range p.targets {
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
	for _, t := range p.targets {
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
