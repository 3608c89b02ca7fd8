package servergroup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twinstack/twinstack/internal/lbproxy"
	"github.com/twinstack/twinstack/internal/proc"
)

// Instance is one instance of the group as Auto Scaling describes it.
type Instance struct {
	ID             string
	LifecycleState string // InService, Pending, Terminating, ...
	HealthStatus   string // Healthy or Unhealthy
	// Template is the launch template version the group's record of the
	// instance names (nil: none, as with a launch configuration).
	Template *TemplateRef
}

// Lifecycle and health values the stand-in acts on.
const (
	InService = "InService"
	Healthy   = "Healthy"
)

// Snapshot is the group at one poll.
type Snapshot struct {
	Desired   int
	Instances []Instance
}

// Group is the Auto Scaling group the stand-in follows (Moto in the local
// cloud, a fake in tests).
type Group interface {
	// Describe reads the group's desired capacity and instances.
	Describe(ctx context.Context) (Snapshot, error)
	// Replace reports the instance unhealthy and terminates it without
	// lowering the desired capacity, so that the group launches another.
	Replace(ctx context.Context, id string) error
	// Deregister removes from the group's target groups every registered
	// instance that is not in keep (the group's instances) and returns
	// those it removed: what the emulator left registered.
	Deregister(ctx context.Context, keep []string) ([]string, error)
	// Conform makes the instance what its launch template says in the
	// settings the emulator does not apply at launch and returns what
	// differed (nothing when it conformed already).
	Conform(ctx context.Context, in Instance) (Conformance, error)
}

// Server is one running server process.
type Server interface {
	URL() string
	Ref() proc.Ref
	// Done is closed when the process has exited; Err then says how
	// ("signal: killed", "exit status 1"; nil for a clean exit).
	Done() <-chan struct{}
	Err() error
	// Stop ends the process: SIGTERM, then SIGKILL after grace.
	Stop(ctx context.Context, grace time.Duration) error
}

// Launcher starts the server of one instance.
type Launcher interface {
	Launch(ctx context.Context, instanceID string) (Server, error)
}

// Config configures a StandIn. Zero durations and thresholds take the
// DefaultConfig values.
type Config struct {
	Group    Group
	Launcher Launcher
	// Name is the group's name, for the status and the logs.
	Name string
	// Poll is how often the group is read (Auto Scaling acts within
	// seconds; so does the stand-in).
	Poll time.Duration
	// HealthInterval, HealthTimeout and UnhealthyThreshold are the target
	// group's health check, scaled down (local up passes the model's).
	HealthInterval     time.Duration
	HealthTimeout      time.Duration
	UnhealthyThreshold int
	// ReadyTimeout bounds a new server's wait for /readyz (the launch
	// hook's heartbeat, scaled down); ReadyPoll is the probe's pace.
	ReadyTimeout time.Duration
	ReadyPoll    time.Duration
	// StopGrace is how long a server leaving the group may drain.
	StopGrace time.Duration
	// RestartBackoff is the wait before a start after the second failure
	// within FailureWindow, doubling with each further one up to
	// MaxRestartBackoff.
	RestartBackoff, MaxRestartBackoff time.Duration
	FailureWindow                     time.Duration
	// ConformTries bounds the attempts to make a new instance what its
	// launch template says (Group.Conform), each within ConformTimeout,
	// ConformBackoff apart, doubling. They run beside the instance's
	// server start, never before it.
	ConformTries                   int
	ConformTimeout, ConformBackoff time.Duration
	// Parent, when set, is asked every poll whether the stand-in should
	// go on; false stops it (the local cloud was taken down without it).
	Parent func() bool
	// OnChildren, when set, receives the running servers after every
	// change, so that they can be recorded and stopped by PID by others.
	OnChildren func([]proc.Ref)
	Log        *slog.Logger
	Now        func() time.Time
}

// DefaultConfig is what New uses for zero fields.
var DefaultConfig = Config{
	Poll: time.Second, HealthInterval: time.Second, HealthTimeout: time.Second, UnhealthyThreshold: 3,
	ReadyTimeout: 30 * time.Second, ReadyPoll: 200 * time.Millisecond, StopGrace: 10 * time.Second,
	RestartBackoff: 2 * time.Second, MaxRestartBackoff: 30 * time.Second, FailureWindow: time.Minute,
	ConformTries: 3, ConformTimeout: 10 * time.Second, ConformBackoff: time.Second,
}

// Target states in the status.
const (
	StateStarting  = "starting"   // launched, /readyz not answered yet
	StateInService = "in-service" // a target of the balancer
	StateDraining  = "draining"   // left the group: stopping gracefully
	StateReplaced  = "replaced"   // failed: its instance was reported and terminated
	StateStopped   = "stopped"    // stopped after leaving the group, or at shutdown
)

// StandIn is the stand-in for one Auto Scaling group: its servers and
// their load balancer.
type StandIn struct {
	cfg    Config
	lb     *lbproxy.Proxy
	log    *slog.Logger
	events chan event

	// Owned by Run's goroutine.
	members   map[string]*member
	replacing map[string]*pending
	failures  []time.Time // server failures, for the restart backoff
	notBefore time.Time   // no start before this
	known     []string    // the group's instance ids at the last poll
	sweep     bool        // look for targets the emulator left registered
	pollFails int
	gone      []ended         // the last servers that ended, oldest first
	seen      map[string]bool // instances whose conformance was started
	obs       map[string]*Observation
	obsOrder  []string
	desired   int
	lastPoll  time.Time
	pollErr   string
	stopping  sync.WaitGroup
	// conforming are the Conform goroutines; they end with Run's context.
	conforming sync.WaitGroup

	status atomic.Pointer[statusView]
}

// member is one server of one instance.
type member struct {
	id      string
	srv     Server
	state   string
	target  *lbproxy.Target
	started time.Time
	ready   time.Time
	health  string // the group's health status at the last poll
	cancel  context.CancelFunc
}

// pending is a failed instance whose replacement was asked for (done) or
// must be asked again (not done, at next).
type pending struct {
	done  bool
	next  time.Time
	tries int
}

type eventKind int

const (
	evReady eventKind = iota
	evExited
	evUnhealthy
	evNotReady
	evStopped
	evConformed
)

type event struct {
	kind   eventKind
	m      *member
	detail string
	// evConformed: the instance, what Conform found and its last error
	// after tries attempts.
	in    Instance
	conf  Conformance
	err   error
	tries int
}

// New builds a StandIn; Run starts it.
func New(cfg Config) (*StandIn, error) {
	if cfg.Group == nil || cfg.Launcher == nil {
		return nil, errors.New("servergroup: Group and Launcher are required")
	}
	d := DefaultConfig
	dur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	dur(&cfg.Poll, d.Poll)
	dur(&cfg.HealthInterval, d.HealthInterval)
	dur(&cfg.HealthTimeout, d.HealthTimeout)
	dur(&cfg.ReadyTimeout, d.ReadyTimeout)
	dur(&cfg.ReadyPoll, d.ReadyPoll)
	dur(&cfg.StopGrace, d.StopGrace)
	dur(&cfg.RestartBackoff, d.RestartBackoff)
	dur(&cfg.MaxRestartBackoff, d.MaxRestartBackoff)
	dur(&cfg.FailureWindow, d.FailureWindow)
	dur(&cfg.ConformTimeout, d.ConformTimeout)
	dur(&cfg.ConformBackoff, d.ConformBackoff)
	if cfg.ConformTries <= 0 {
		cfg.ConformTries = d.ConformTries
	}
	if cfg.UnhealthyThreshold <= 0 {
		cfg.UnhealthyThreshold = d.UnhealthyThreshold
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &StandIn{
		cfg: cfg, log: cfg.Log, events: make(chan event, 16),
		// The stand-in decides health itself and adds and removes
		// targets: the balancer checks nothing of its own.
		lb:      lbproxy.NewPool(lbproxy.Config{NoHealthCheck: true}, cfg.Log),
		members: map[string]*member{}, replacing: map[string]*pending{}, obs: map[string]*Observation{},
		seen: map[string]bool{},
	}
	s.publish()
	return s, nil
}

// Run follows the group until ctx ends or Parent says stop, then stops
// every server (gracefully, within StopGrace) and returns.
func (s *StandIn) Run(ctx context.Context) error {
	defer s.shutdown()
	// Ended before the shutdown: what still runs on it (a Conform) stops
	// also when Parent says stop.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-s.events:
			if ctx.Err() != nil {
				// Stopping: a server that ends now was stopped with the
				// stand-in (its process group was signalled), it did not
				// fail; its instance is not replaced.
				return nil
			}
			s.handle(ctx, ev)
		case <-timer.C:
			if s.cfg.Parent != nil && !s.cfg.Parent() {
				s.log.Info("the local cloud that started this stand-in is down: stopping")
				return nil
			}
			timer.Reset(s.poll(ctx))
		}
		s.publish()
	}
}

// poll reads the group and brings the servers in line with it. It returns
// the wait until the next poll.
func (s *StandIn) poll(ctx context.Context) time.Duration {
	now := s.cfg.Now()
	snap, err := s.cfg.Group.Describe(ctx)
	s.lastPoll = now
	if err != nil {
		s.pollFails++
		s.pollErr = err.Error()
		s.log.Warn("describe the group", "group", s.cfg.Name, "err", err, "failures", s.pollFails)
		// Back off while the emulator does not answer: 2, 4, 8 polls, at
		// most 10 s.
		return min(s.cfg.Poll<<min(s.pollFails, 4), max(10*time.Second, s.cfg.Poll))
	}
	s.pollFails, s.pollErr, s.desired = 0, "", snap.Desired
	inService := map[string]bool{}
	health := map[string]string{}
	var ids []string
	for _, in := range snap.Instances {
		ids = append(ids, in.ID)
		health[in.ID] = in.LifecycleState + "/" + in.HealthStatus
		if in.LifecycleState == InService && in.HealthStatus == Healthy {
			inService[in.ID] = true
		}
		if m := s.members[in.ID]; m != nil {
			m.health = health[in.ID]
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, s.known) {
		s.sweep = true
	}
	s.known = ids
	listed := map[string]bool{}
	for _, id := range ids {
		listed[id] = true
	}
	for id := range s.seen {
		if !listed[id] {
			delete(s.seen, id)
		}
	}
	// A new instance is made what its launch template says, beside its
	// server's start.
	for _, in := range snap.Instances {
		if s.seen[in.ID] || strings.HasPrefix(in.LifecycleState, "Terminat") {
			continue
		}
		s.seen[in.ID] = true
		s.conforming.Add(1)
		go s.conform(ctx, in)
	}

	start, retire := plan(inService, s.members, s.replacing)
	for _, id := range retire {
		s.retire(ctx, s.members[id], "left the group (scale in or terminated)")
	}
	// Replacements: forget those the group no longer lists (terminated),
	// ask again for those whose request failed.
	for id, p := range s.replacing {
		switch {
		case !listed[id]:
			delete(s.replacing, id)
		case !p.done && !now.Before(p.next):
			s.replace(ctx, id, p)
		}
	}
	for _, id := range start {
		if now.Before(s.notBefore) {
			s.log.Info("server start held back after repeated failures", "instance_id", id, "until", s.notBefore.Format(time.RFC3339))
			break
		}
		s.launch(ctx, id, health[id])
	}
	if s.sweep {
		s.deregisterLeftovers(ctx, ids)
	}
	return s.cfg.Poll
}

// plan decides, from the instances in service and the servers running,
// which instances need a server (sorted) and which servers must stop
// because their instance left the group. An instance whose replacement is
// pending gets no server again.
func plan(inService map[string]bool, members map[string]*member, replacing map[string]*pending) (start, retire []string) {
	for id := range inService {
		if members[id] == nil && replacing[id] == nil {
			start = append(start, id)
		}
	}
	for id, m := range members {
		if !inService[id] && m.state != StateDraining {
			retire = append(retire, id)
		}
	}
	slices.Sort(start)
	slices.Sort(retire)
	return start, retire
}

// launch starts the server of instance id, whose state in the group is
// health ("InService/Healthy").
func (s *StandIn) launch(ctx context.Context, id, health string) {
	now := s.cfg.Now()
	srv, err := s.cfg.Launcher.Launch(ctx, id)
	if err != nil {
		s.log.Error("start the server", "instance_id", id, "err", err)
		s.failed(now)
		return
	}
	m := &member{id: id, srv: srv, state: StateStarting, started: now, health: health}
	mctx, cancel := context.WithCancel(ctx)
	m.cancel = cancel
	s.members[id] = m
	s.log.Info("server started", "instance_id", id, "url", srv.URL(), "pid", srv.Ref().PID)
	go s.watch(mctx, m)
	s.children()
}

// watch waits for m's server to answer /readyz, then health-checks it
// every HealthInterval; it reports what it sees as events until ctx ends.
func (s *StandIn) watch(ctx context.Context, m *member) {
	send := func(k eventKind, detail string) {
		select {
		case s.events <- event{kind: k, m: m, detail: detail}:
		case <-ctx.Done():
		}
	}
	client := &http.Client{Timeout: s.cfg.HealthTimeout}
	base := strings.TrimRight(m.srv.URL(), "/")
	deadline := time.NewTimer(s.cfg.ReadyTimeout)
	defer deadline.Stop()
	for ready := false; !ready; {
		select {
		case <-ctx.Done():
			return
		case <-m.srv.Done():
			send(evExited, "exited before it was ready")
			return
		case <-deadline.C:
			send(evNotReady, fmt.Sprintf("/readyz did not answer within %s", s.cfg.ReadyTimeout))
			return
		case <-time.After(s.cfg.ReadyPoll):
		}
		ready, _ = probe(ctx, client, base+"/readyz")
	}
	send(evReady, "")
	bad := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.srv.Done():
			send(evExited, "exited")
			return
		case <-time.After(s.cfg.HealthInterval):
		}
		ok, detail := probe(ctx, client, base+"/healthz")
		if ok {
			bad = 0
			continue
		}
		if bad++; bad >= s.cfg.UnhealthyThreshold {
			send(evUnhealthy, fmt.Sprintf("failed %d health checks in a row (last: %s)", bad, detail))
			return
		}
	}
}

func probe(ctx context.Context, c *http.Client, u string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, "no answer"
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode/100 == 2, resp.Status
}

func (s *StandIn) handle(ctx context.Context, ev event) {
	if ev.kind == evConformed {
		s.conformed(ev)
		return
	}
	m := ev.m
	if s.members[m.id] != m {
		return // an event of a server already dealt with
	}
	switch ev.kind {
	case evReady:
		u, err := url.Parse(m.srv.URL())
		if err != nil {
			s.fail(ctx, m, "bad URL "+m.srv.URL())
			return
		}
		m.state, m.ready, m.target = StateInService, s.cfg.Now(), s.lb.Add(u)
		s.log.Info("server in service", "instance_id", m.id, "url", m.srv.URL(), "after", m.ready.Sub(m.started).Round(time.Millisecond).String())
	case evExited:
		why := ev.detail
		if err := m.srv.Err(); err != nil {
			why += " (" + err.Error() + ")"
		}
		// A server that never got ready: its last words say why (a bad
		// setting, a missing table).
		if l := m.srv.Ref().Log; l != "" && m.state == StateStarting {
			why += ": " + proc.LogTail(l, 3)
		}
		s.fail(ctx, m, why)
	case evUnhealthy, evNotReady:
		s.fail(ctx, m, ev.detail)
	case evStopped:
		delete(s.members, m.id)
		s.ended(m, StateStopped, ev.detail)
		s.children()
	}
}

// fail takes a failed server out of the balancer at once, ends it, and
// has its instance replaced, as Auto Scaling does with an instance the
// load balancer reports unhealthy (HealthCheckType ELB).
func (s *StandIn) fail(ctx context.Context, m *member, why string) {
	now := s.cfg.Now()
	if m.target != nil {
		s.lb.Remove(m.target.URL)
	}
	m.cancel()
	delete(s.members, m.id)
	s.stopping.Add(1)
	go func() {
		defer s.stopping.Done()
		_ = m.srv.Stop(context.WithoutCancel(ctx), 2*time.Second)
	}()
	s.log.Warn("server failed: replacing its instance", "instance_id", m.id, "pid", m.srv.Ref().PID, "why", why)
	if m.health != "" {
		s.observe("no-health-check", fmt.Sprintf(
			"moto still reported the instance %s %s after its server %s: the emulator runs no load balancer health check, so Auto Scaling never learns of a dead server; "+
				"local step: the stand-in calls SetInstanceHealth Unhealthy and TerminateInstanceInAutoScalingGroup (ShouldDecrementDesiredCapacity=false), as the ELB health check would make Auto Scaling do",
			m.id, m.health, why))
	}
	s.ended(m, StateReplaced, why)
	s.failed(now)
	p := &pending{}
	s.replacing[m.id] = p
	s.replace(ctx, m.id, p)
	s.children()
}

// replace asks the group to replace id; a failed request is asked again
// later, backing off.
func (s *StandIn) replace(ctx context.Context, id string, p *pending) {
	if err := s.cfg.Group.Replace(ctx, id); err != nil {
		p.tries++
		p.next = s.cfg.Now().Add(min(s.cfg.Poll<<min(p.tries, 4), 30*time.Second))
		s.log.Warn("replace the instance", "instance_id", id, "err", err, "tries", p.tries)
		return
	}
	p.done = true
	s.sweep = true
	s.log.Info("instance reported unhealthy and terminated; the group launches a replacement", "instance_id", id)
}

// deregisterLeftovers deregisters the targets the emulator left
// registered after their instance left the group.
func (s *StandIn) deregisterLeftovers(ctx context.Context, keep []string) {
	gone, err := s.cfg.Group.Deregister(ctx, keep)
	if err != nil {
		s.log.Warn("deregister terminated instances from the target group", "err", err)
		return // tried again next poll
	}
	s.sweep = false
	for _, id := range gone {
		s.observe("terminated-instance-registered", fmt.Sprintf(
			"moto left the instance %s registered in the group's target group after it left the group (AWS deregisters an instance its group terminates); "+
				"local step: the stand-in deregistered it (DeregisterTargets)", id))
	}
}

// conform makes a new instance what its launch template says
// (Group.Conform): at most ConformTries attempts, each within
// ConformTimeout, ConformBackoff apart and doubling, as long as the error
// is worth another try. It reports the outcome to Run as an event.
func (s *StandIn) conform(ctx context.Context, in Instance) {
	defer s.conforming.Done()
	var c Conformance
	var err error
	tries := 0
	for wait := s.cfg.ConformBackoff; ; wait *= 2 {
		tries++
		actx, cancel := context.WithTimeout(ctx, s.cfg.ConformTimeout)
		c, err = s.cfg.Group.Conform(actx, in)
		cancel()
		if err == nil || ctx.Err() != nil || tries >= s.cfg.ConformTries || !retryable(err) {
			break
		}
		s.log.Warn("make the instance what its launch template says", "instance_id", in.ID, "err", err, "tries", tries)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	if ctx.Err() != nil {
		return
	}
	select {
	case s.events <- event{kind: evConformed, in: in, conf: c, err: err, tries: tries}:
	case <-ctx.Done():
	}
}

// conformed records what conform found: an emulator observation when the
// instance differed from its launch template, with what was set or the
// error of the step that failed.
func (s *StandIn) conformed(ev event) {
	c, id := ev.conf, ev.in.ID
	if ev.err == nil && len(c.Differed) == 0 {
		if c.Template != "" {
			s.log.Info("instance as its launch template says", "instance_id", id, "template", c.Template)
		}
		return
	}
	if ev.err != nil && !slices.Contains(s.known, id) {
		// It left the group meanwhile: nothing to make right.
		s.log.Info("instance left the group before it was compared with its launch template", "instance_id", id, "err", ev.err)
		return
	}
	var was []string
	for _, x := range c.Differed {
		was = append(was, x.String())
	}
	// The stand-in sees the instance as it is now: moto launched it so,
	// or something since changed it (a patch that left an option out,
	// which moto resets).
	const why = "moto launches a group's instances without their template's metadata options and instance profile; AWS applies the template at launch"
	var detail string
	switch {
	case ev.err == nil:
		detail = fmt.Sprintf("the instance %s was not what its launch template %s says: %s (%s); "+
			"local step: the stand-in set the template's values (%s)", id, c.Template, strings.Join(was, ", "), why, strings.Join(c.Calls, ", "))
	case len(was) > 0:
		detail = fmt.Sprintf("the instance %s is not what its launch template %s says: %s (%s); "+
			"local step failed after %d tries: %s", id, c.Template, strings.Join(was, ", "), why, ev.tries, errorText(ev.err))
	default:
		detail = fmt.Sprintf("the instance %s could not be compared with its launch template %s (%s); "+
			"local step failed after %d tries: %s", id, c.Template, why, ev.tries, errorText(ev.err))
	}
	s.observe(ObsNotFromTemplate, detail)
}

// retire stops the server of an instance that left the group: out of the
// balancer at once, then a graceful stop in the background.
func (s *StandIn) retire(ctx context.Context, m *member, why string) {
	if m.target != nil {
		s.lb.Remove(m.target.URL)
	}
	m.cancel()
	m.state = StateDraining
	s.log.Info("instance left the group: stopping its server", "instance_id", m.id, "pid", m.srv.Ref().PID)
	s.stopping.Add(1)
	go func() {
		defer s.stopping.Done()
		detail := why
		if err := m.srv.Stop(context.WithoutCancel(ctx), s.cfg.StopGrace); err != nil {
			detail += "; " + err.Error()
		}
		select {
		case s.events <- event{kind: evStopped, m: m, detail: detail}:
		case <-ctx.Done():
		}
	}()
}

// failed records a server failure and sets when the next start may be:
// after the second failure within FailureWindow, RestartBackoff, doubling
// with each further one up to MaxRestartBackoff. A first failure waits for
// nothing: a killed server is replaced at once.
func (s *StandIn) failed(now time.Time) {
	recent := s.failures[:0]
	for _, t := range s.failures {
		if now.Sub(t) < s.cfg.FailureWindow {
			recent = append(recent, t)
		}
	}
	s.failures = append(recent, now)
	if n := len(s.failures); n >= 2 {
		s.notBefore = now.Add(min(s.cfg.RestartBackoff<<min(n-2, 10), s.cfg.MaxRestartBackoff))
	}
}

// shutdown stops every server (gracefully, concurrently) and waits.
func (s *StandIn) shutdown() {
	ctx := context.Background()
	for _, m := range s.members {
		if m.target != nil {
			s.lb.Remove(m.target.URL)
		}
		m.cancel()
		if m.state == StateDraining {
			continue // already stopping
		}
		s.stopping.Add(1)
		go func() {
			defer s.stopping.Done()
			_ = m.srv.Stop(ctx, s.cfg.StopGrace)
		}()
	}
	s.stopping.Wait()
	s.conforming.Wait()
	for _, m := range s.members {
		s.ended(m, StateStopped, "the stand-in stopped")
	}
	clear(s.members)
	s.children()
	s.publish()
}

// ended is a server that ended, with its balancer target (whose
// counters go on: a request in flight when the server died fails a moment
// later).
type ended struct {
	ts     TargetStatus
	target *lbproxy.Target
}

// ended keeps the last servers that ended for the status.
func (s *StandIn) ended(m *member, state, why string) {
	ts := s.view(m)
	ts.State, ts.Reason, ts.EndedAt = state, why, s.cfg.Now()
	s.gone = append(s.gone, ended{ts, m.target})
	if len(s.gone) > 20 {
		s.gone = s.gone[len(s.gone)-20:]
	}
}

func (s *StandIn) observe(id, detail string) {
	o := s.obs[id]
	now := s.cfg.Now()
	if o == nil {
		o = &Observation{ID: id, First: now}
		s.obs[id] = o
		s.obsOrder = append(s.obsOrder, id)
	}
	o.Count++
	o.Last, o.Detail = now, detail
	s.log.Warn("emulator observation", "id", id, "detail", detail)
}

func (s *StandIn) children() {
	if s.cfg.OnChildren == nil {
		return
	}
	var refs []proc.Ref
	for _, id := range slices.Sorted(maps.Keys(s.members)) {
		refs = append(refs, s.members[id].srv.Ref())
	}
	s.cfg.OnChildren(refs)
}
