package servergroup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/proc"
)

// fakeGroup behaves as moto's Auto Scaling does: instances are InService
// and Healthy at once; a terminated instance (desired kept) is replaced at
// once by a new one; SetDesired launches or terminates (newest first);
// every instance it ever launched stays registered in the target group
// until deregistered; and every instance is launched with HttpTokens
// "optional" although its launch template says "required".
type fakeGroup struct {
	mu         sync.Mutex
	next       int
	instances  []string
	registered map[string]bool
	replaced   []string
	failDesc   error
	failRepl   int // Replace calls that fail before one succeeds
	// hold, when set, makes Describe wait for it (a slow emulator);
	// held is told when a Describe waits.
	hold, held chan struct{}
	// tokens is each instance's HttpTokens; conforms counts the Conform
	// calls per instance. failConform answers the next Conform calls with
	// its errors, in order; holdConform, when set, makes Conform wait for
	// it (or the call's end).
	tokens      map[string]string
	conforms    map[string]int
	failConform []error
	holdConform chan struct{}
}

// fakeTemplate is the launch template version every instance of a
// fakeGroup names, and the HttpTokens it says.
var fakeTemplate = TemplateRef{ID: "lt-0fake", Name: "test-servers", Version: "1"}

const fakeTemplateTokens = "required"

func newFakeGroup(n int) *fakeGroup {
	g := &fakeGroup{registered: map[string]bool{}, tokens: map[string]string{}, conforms: map[string]int{}}
	g.SetDesired(n)
	return g
}

func (g *fakeGroup) SetDesired(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.instances) < n {
		g.launch()
	}
	if len(g.instances) > n {
		g.instances = g.instances[:n]
	}
}

func (g *fakeGroup) launch() {
	g.next++
	id := fmt.Sprintf("i-%04d", g.next)
	g.instances = append(g.instances, id)
	g.registered[id] = true
	g.tokens[id] = "optional"
}

func (g *fakeGroup) Describe(context.Context) (Snapshot, error) {
	g.mu.Lock()
	hold, held := g.hold, g.held
	g.mu.Unlock()
	if hold != nil {
		held <- struct{}{}
		<-hold
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failDesc != nil {
		return Snapshot{}, g.failDesc
	}
	s := Snapshot{Desired: len(g.instances)}
	for _, id := range g.instances {
		s.Instances = append(s.Instances, Instance{ID: id, LifecycleState: InService, HealthStatus: Healthy, Template: &fakeTemplate})
	}
	return s, nil
}

func (g *fakeGroup) Replace(_ context.Context, id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failRepl > 0 {
		g.failRepl--
		return errors.New("InternalFailure")
	}
	i := slices.Index(g.instances, id)
	if i < 0 {
		return fmt.Errorf("no instance %s", id)
	}
	g.instances = slices.Delete(g.instances, i, i+1)
	g.replaced = append(g.replaced, id)
	g.launch()
	return nil
}

func (g *fakeGroup) Deregister(_ context.Context, keep []string) ([]string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var gone []string
	for id := range g.registered {
		if !slices.Contains(keep, id) {
			delete(g.registered, id)
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	return gone, nil
}

func (g *fakeGroup) Conform(ctx context.Context, in Instance) (Conformance, error) {
	g.mu.Lock()
	g.conforms[in.ID]++
	hold := g.holdConform
	g.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return Conformance{}, ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	c := Conformance{Template: in.Template.String()}
	if len(g.failConform) > 0 {
		err := g.failConform[0]
		g.failConform = g.failConform[1:]
		return c, err
	}
	if was := g.tokens[in.ID]; was != fakeTemplateTokens {
		c.Differed = []Setting{{SettingHTTPTokens, was, fakeTemplateTokens}}
		c.Calls = []string{"ModifyInstanceMetadataOptions"}
		g.tokens[in.ID] = fakeTemplateTokens
	}
	return c, nil
}

// conformState is each instance's HttpTokens and Conform calls.
func (g *fakeGroup) conformState() (tokens map[string]string, calls map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.tokens), maps.Clone(g.conforms)
}

func (g *fakeGroup) state() (instances, replaced []string, registered int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.instances), slices.Clone(g.replaced), len(g.registered)
}

// fakeServer is an HTTP server standing in for `twinstack serve`: it
// answers every request with its instance id, /readyz once ready and
// /healthz while healthy.
type fakeServer struct {
	id      string
	srv     *httptest.Server
	done    chan struct{}
	once    sync.Once
	ready   atomic.Bool
	healthy atomic.Bool
	stopped atomic.Bool // ended by Stop, not by a crash
	pid     int
}

func (f *fakeServer) URL() string           { return f.srv.URL }
func (f *fakeServer) Ref() proc.Ref         { return proc.Ref{Name: f.id, PID: f.pid} }
func (f *fakeServer) Done() <-chan struct{} { return f.done }
func (f *fakeServer) Err() error            { return nil }

// crash ends the server as SIGKILL would.
func (f *fakeServer) crash() {
	f.once.Do(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
		close(f.done)
	})
}

func (f *fakeServer) Stop(context.Context, time.Duration) error {
	f.stopped.Store(true)
	f.crash()
	return nil
}

// fakeLauncher starts fakeServers; hook, when set, prepares each.
type fakeLauncher struct {
	t       *testing.T
	mu      sync.Mutex
	servers []*fakeServer
	times   []time.Time
	hook    func(*fakeServer)
}

func (l *fakeLauncher) Launch(_ context.Context, id string) (Server, error) {
	f := &fakeServer{id: id, done: make(chan struct{})}
	f.ready.Store(true)
	f.healthy.Store(true)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/readyz" && !f.ready.Load(), r.URL.Path == "/healthz" && !f.healthy.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("X-Instance-Id", id)
		io.WriteString(w, id)
	}))
	l.t.Cleanup(f.crash)
	l.mu.Lock()
	defer l.mu.Unlock()
	f.pid = 1000 + len(l.servers)
	if l.hook != nil {
		l.hook(f)
	}
	l.servers = append(l.servers, f)
	l.times = append(l.times, time.Now())
	return f, nil
}

func (l *fakeLauncher) server(id string) *fakeServer {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.servers) - 1; i >= 0; i-- {
		if l.servers[i].id == id {
			return l.servers[i]
		}
	}
	return nil
}

func (l *fakeLauncher) launches() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.times)
}

// fast is a configuration with every interval in milliseconds.
func fast(g Group, l Launcher) Config {
	return Config{Group: g, Launcher: l, Name: "test-servers", Poll: 20 * time.Millisecond,
		HealthInterval: 20 * time.Millisecond, HealthTimeout: 200 * time.Millisecond, UnhealthyThreshold: 3,
		ReadyTimeout: 500 * time.Millisecond, ReadyPoll: 10 * time.Millisecond, StopGrace: 100 * time.Millisecond,
		RestartBackoff: 150 * time.Millisecond, MaxRestartBackoff: 300 * time.Millisecond, FailureWindow: time.Minute,
		ConformTries: 3, ConformTimeout: 200 * time.Millisecond, ConformBackoff: 10 * time.Millisecond}
}

// start runs a stand-in until the test ends.
func start(t *testing.T, cfg Config) (*StandIn, *httptest.Server) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	front := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		cancel()
		<-done
		front.Close()
	})
	return s, front
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func inService(s *StandIn) []string {
	var ids []string
	for _, t := range s.Status().InService() {
		ids = append(ids, t.InstanceID)
	}
	return ids
}

// served asks the balancer n times and returns the instance ids that
// answered.
func served(t *testing.T, front *httptest.Server, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp, err := http.Get(front.URL + "/albums")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got[resp.Header.Get("X-Instance-Id")]++
	}
	return got
}

func TestPlan(t *testing.T) {
	m := func(state string) *member { return &member{state: state} }
	tests := []struct {
		name          string
		inService     []string
		members       map[string]*member
		replacing     []string
		start, retire []string
	}{
		{"nothing running", []string{"i-2", "i-1"}, nil, nil, []string{"i-1", "i-2"}, nil},
		{"all running", []string{"i-1"}, map[string]*member{"i-1": m(StateInService)}, nil, nil, nil},
		{"scale out", []string{"i-1", "i-3"}, map[string]*member{"i-1": m(StateInService)}, nil, []string{"i-3"}, nil},
		{"scale in", []string{"i-1"}, map[string]*member{"i-1": m(StateInService), "i-2": m(StateStarting)}, nil, nil, []string{"i-2"}},
		{"already draining", nil, map[string]*member{"i-2": m(StateDraining)}, nil, nil, nil},
		{"replacement pending: no second server", []string{"i-1", "i-4"}, nil, []string{"i-1"}, []string{"i-4"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]bool{}
			for _, id := range tc.inService {
				in[id] = true
			}
			rep := map[string]*pending{}
			for _, id := range tc.replacing {
				rep[id] = &pending{}
			}
			if tc.members == nil {
				tc.members = map[string]*member{}
			}
			start, retire := plan(in, tc.members, rep)
			if d := cmp.Diff(tc.start, start); d != "" {
				t.Errorf("start (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.retire, retire); d != "" {
				t.Errorf("retire (-want +got):\n%s", d)
			}
		})
	}
}

// TestKilledServerReplaced: one server per instance, all behind the
// balancer; a server that dies is out of the balancer at once, its
// instance is replaced in the group, the replacement's server serves, and
// the target the emulator left registered is deregistered and reported.
func TestKilledServerReplaced(t *testing.T) {
	g := newFakeGroup(2)
	l := &fakeLauncher{t: t}
	s, front := start(t, fast(g, l))
	waitFor(t, "two servers in service", func() bool { return len(inService(s)) == 2 })
	if d := cmp.Diff(map[string]int{"i-0001": 2, "i-0002": 2}, served(t, front, 4)); d != "" {
		t.Fatalf("balancer (-want +got):\n%s", d)
	}

	l.server("i-0001").crash()
	waitFor(t, "i-0001 replaced by i-0003", func() bool { return slices.Equal(inService(s), []string{"i-0002", "i-0003"}) })
	for id := range served(t, front, 6) {
		if id == "i-0001" {
			t.Fatal("the dead server still gets requests")
		}
	}
	instances, replaced, _ := g.state()
	if d := cmp.Diff([]string{"i-0001"}, replaced); d != "" {
		t.Errorf("instances replaced (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"i-0002", "i-0003"}, instances); d != "" {
		t.Errorf("group (-want +got):\n%s", d)
	}
	waitFor(t, "the terminated instance deregistered", func() bool { _, _, n := g.state(); return n == 2 })
	st := s.Status()
	if len(st.Gone) != 1 || st.Gone[0].InstanceID != "i-0001" || st.Gone[0].State != StateReplaced {
		t.Errorf("gone = %+v, want i-0001 replaced", st.Gone)
	}
	var ids []string
	for _, o := range st.Observations {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	if d := cmp.Diff([]string{ObsNotFromTemplate, "no-health-check", "terminated-instance-registered"}, ids); d != "" {
		t.Errorf("observations (-want +got):\n%s", d)
	}
}

// TestUnhealthyServerReplaced: a server that still runs but fails
// UnhealthyThreshold health checks in a row is stopped and replaced.
func TestUnhealthyServerReplaced(t *testing.T) {
	g := newFakeGroup(1)
	l := &fakeLauncher{t: t}
	s, _ := start(t, fast(g, l))
	waitFor(t, "one server in service", func() bool { return len(inService(s)) == 1 })
	sick := l.server("i-0001")
	sick.healthy.Store(false)
	waitFor(t, "i-0002 in service", func() bool { return slices.Equal(inService(s), []string{"i-0002"}) })
	if !sick.stopped.Load() {
		t.Error("the unhealthy server was not stopped")
	}
	if st := s.Status(); len(st.Gone) != 1 || st.Gone[0].Reason == "" {
		t.Errorf("gone = %+v, want the reason", st.Gone)
	}
}

// TestNeverReadyReplaced: a server whose /readyz never answers within
// ReadyTimeout never takes traffic and its instance is replaced.
func TestNeverReadyReplaced(t *testing.T) {
	g := newFakeGroup(1)
	l := &fakeLauncher{t: t}
	l.hook = func(f *fakeServer) { f.ready.Store(f.id != "i-0001") }
	s, front := start(t, fast(g, l))
	waitFor(t, "i-0002 in service", func() bool { return slices.Equal(inService(s), []string{"i-0002"}) })
	if d := cmp.Diff(map[string]int{"i-0002": 3}, served(t, front, 3)); d != "" {
		t.Errorf("balancer (-want +got):\n%s", d)
	}
	if _, replaced, _ := g.state(); !slices.Equal(replaced, []string{"i-0001"}) {
		t.Errorf("replaced %v", replaced)
	}
}

// TestScaleOutAndIn: the stand-in follows the desired capacity both ways;
// a server whose instance left the group is stopped, not replaced.
func TestScaleOutAndIn(t *testing.T) {
	g := newFakeGroup(2)
	l := &fakeLauncher{t: t}
	s, front := start(t, fast(g, l))
	waitFor(t, "two in service", func() bool { return len(inService(s)) == 2 })
	g.SetDesired(3)
	waitFor(t, "three in service", func() bool { return len(inService(s)) == 3 })
	if got := served(t, front, 6); got["i-0003"] != 2 {
		t.Errorf("the third server got %d of 6 requests: %v", got["i-0003"], got)
	}
	if st := s.Status(); st.Desired != 3 {
		t.Errorf("desired %d, want 3", st.Desired)
	}
	g.SetDesired(1)
	waitFor(t, "one in service", func() bool { return slices.Equal(inService(s), []string{"i-0001"}) })
	waitFor(t, "two stopped", func() bool { return len(s.Status().Gone) == 2 })
	for _, id := range []string{"i-0002", "i-0003"} {
		if !l.server(id).stopped.Load() {
			t.Errorf("%s was not stopped", id)
		}
	}
	for _, x := range s.Status().Gone {
		if x.State != StateStopped {
			t.Errorf("%s: %s, want stopped", x.InstanceID, x.State)
		}
	}
	if _, replaced, _ := g.state(); len(replaced) != 0 {
		t.Errorf("scale in replaced %v", replaced)
	}
	if d := cmp.Diff(map[string]int{"i-0001": 3}, served(t, front, 3)); d != "" {
		t.Errorf("balancer after scale in (-want +got):\n%s", d)
	}
}

// TestCrashLoopBackoff: servers that die at once are not restarted faster
// than RestartBackoff after the second failure, doubling up to
// MaxRestartBackoff.
func TestCrashLoopBackoff(t *testing.T) {
	g := newFakeGroup(1)
	l := &fakeLauncher{t: t}
	l.hook = func(f *fakeServer) { f.ready.Store(false); go f.crash() }
	cfg := fast(g, l)
	start(t, cfg)
	waitFor(t, "five launches", func() bool { return len(l.launches()) >= 5 })
	ts := l.launches()
	// The first failure waits for nothing; the gap after failure n ≥ 2
	// is at least min(backoff·2^(n-2), max).
	for n := 2; n < len(ts); n++ {
		want := min(cfg.RestartBackoff<<(n-2), cfg.MaxRestartBackoff)
		if gap := ts[n].Sub(ts[n-1]); gap < want {
			t.Errorf("launch %d came %v after the previous one, want at least %v", n+1, gap, want)
		}
	}
}

// TestReplaceRetried: a failed replace request is asked again, and the
// instance gets no second server meanwhile.
func TestReplaceRetried(t *testing.T) {
	g := newFakeGroup(1)
	g.failRepl = 2
	l := &fakeLauncher{t: t}
	s, _ := start(t, fast(g, l))
	waitFor(t, "one in service", func() bool { return len(inService(s)) == 1 })
	l.server("i-0001").crash()
	waitFor(t, "i-0002 in service", func() bool { return slices.Equal(inService(s), []string{"i-0002"}) })
	l.mu.Lock()
	n := len(l.servers)
	l.mu.Unlock()
	if n != 2 {
		t.Errorf("%d servers launched, want 2 (no second server for the failed instance)", n)
	}
}

// TestEmulatorDownKeepsServers: while the group cannot be read the servers
// keep serving and the status says why.
func TestEmulatorDownKeepsServers(t *testing.T) {
	g := newFakeGroup(1)
	l := &fakeLauncher{t: t}
	s, front := start(t, fast(g, l))
	waitFor(t, "one in service", func() bool { return len(inService(s)) == 1 })
	g.mu.Lock()
	g.failDesc = errors.New("connection refused")
	g.mu.Unlock()
	waitFor(t, "the poll error reported", func() bool { return s.Status().PollError != "" })
	if got := served(t, front, 2); got["i-0001"] != 2 {
		t.Errorf("served %v", got)
	}
}

// TestParentDownStopsAll: when the parent says stop, every server is
// stopped and Run returns.
func TestParentDownStopsAll(t *testing.T) {
	g := newFakeGroup(2)
	l := &fakeLauncher{t: t}
	var down atomic.Bool
	cfg := fast(g, l)
	cfg.Parent = func() bool { return !down.Load() }
	var last []proc.Ref
	var mu sync.Mutex
	cfg.OnChildren = func(r []proc.Ref) { mu.Lock(); last = r; mu.Unlock() }
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Run(context.Background()); close(done) }()
	waitFor(t, "two in service", func() bool { return len(inService(s)) == 2 })
	mu.Lock()
	if len(last) != 2 {
		t.Errorf("children reported: %v, want 2", last)
	}
	mu.Unlock()
	down.Store(true)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	for _, id := range []string{"i-0001", "i-0002"} {
		if !l.server(id).stopped.Load() {
			t.Errorf("%s still runs", id)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(last) != 0 {
		t.Errorf("children after stop: %v", last)
	}
}

// TestStopIsNoFailure: servers that end together with the stand-in (its
// process group signalled by `local down`) are not reported to the group:
// no instance is replaced, even when their exits wait to be handled after
// the stop (the stand-in was busy reading the group).
func TestStopIsNoFailure(t *testing.T) {
	for i := range 10 {
		g := newFakeGroup(2)
		l := &fakeLauncher{t: t}
		s, err := New(fast(g, l))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		waitFor(t, "two in service", func() bool { return len(inService(s)) == 2 })
		hold, held := make(chan struct{}), make(chan struct{})
		g.mu.Lock()
		g.hold, g.held = hold, held
		g.mu.Unlock()
		<-held // Run is in a poll
		l.server("i-0001").crash()
		l.server("i-0002").crash()
		time.Sleep(50 * time.Millisecond) // the exits are queued
		cancel()
		close(hold)
		<-done
		if _, replaced, _ := g.state(); len(replaced) != 0 {
			t.Fatalf("run %d: replaced %v while stopping", i, replaced)
		}
	}
}

// observation is the stand-in's observation id (zero when none).
func observation(s *StandIn, id string) Observation {
	for _, o := range s.Status().Observations {
		if o.ID == id {
			return o
		}
	}
	return Observation{}
}

// TestNewInstancesFromTemplate: every instance the group launches (the
// first ones, a replacement, a scale-out) is made what its launch
// template says, once, and each is counted in one emulator observation
// that says what the emulator left and what was set.
func TestNewInstancesFromTemplate(t *testing.T) {
	g := newFakeGroup(2)
	l := &fakeLauncher{t: t}
	s, _ := start(t, fast(g, l))
	waitFor(t, "two in service", func() bool { return len(inService(s)) == 2 })
	l.server("i-0001").crash()
	waitFor(t, "i-0003 in service", func() bool { return slices.Equal(inService(s), []string{"i-0002", "i-0003"}) })
	g.SetDesired(3)
	waitFor(t, "three in service", func() bool { return len(inService(s)) == 3 })
	waitFor(t, "four instances conformed", func() bool { return observation(s, ObsNotFromTemplate).Count == 4 })

	tokens, calls := g.conformState()
	instances, _, _ := g.state()
	for _, id := range instances {
		if tokens[id] != fakeTemplateTokens {
			t.Errorf("%s: HttpTokens %s, want the template's %s", id, tokens[id], fakeTemplateTokens)
		}
	}
	// One attempt per instance, the replaced one included; none again on
	// later polls.
	time.Sleep(100 * time.Millisecond)
	_, calls = g.conformState()
	if d := cmp.Diff(map[string]int{"i-0001": 1, "i-0002": 1, "i-0003": 1, "i-0004": 1}, calls); d != "" {
		t.Errorf("Conform calls per instance (-want +got):\n%s", d)
	}
	o := observation(s, ObsNotFromTemplate)
	for _, w := range []string{"i-0004", fakeTemplate.ID, SettingHTTPTokens + " optional (template: " + fakeTemplateTokens + ")", "ModifyInstanceMetadataOptions"} {
		if !strings.Contains(o.Detail, w) {
			t.Errorf("observation %q does not say %q", o.Detail, w)
		}
	}
}

// TestConformRetried: a failed Conform is tried again, backing off, as
// long as its error code is worth it and at most ConformTries times; a
// failure is an observation with the error, and the server serves either
// way.
func TestConformRetried(t *testing.T) {
	tests := []struct {
		name   string
		fail   []error
		calls  int
		tokens string
		says   []string
	}{
		{"two emulator errors, then set", []error{apiErr("InternalError"), apiErr("InternalError")}, 3, fakeTemplateTokens,
			[]string{"local step: the stand-in set"}},
		{"final error code: one try", []error{apiErr("InvalidLaunchTemplateId.NotFound")}, 1, "optional",
			[]string{"failed after 1 tries", "InvalidLaunchTemplateId.NotFound"}},
		{"errors every time: ConformTries", []error{apiErr("InternalError"), apiErr("InternalError"), apiErr("InternalError"), apiErr("InternalError")}, 3, "optional",
			[]string{"failed after 3 tries", "InternalError"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGroup(1)
			g.failConform = tc.fail
			l := &fakeLauncher{t: t}
			s, front := start(t, fast(g, l))
			waitFor(t, "one in service", func() bool { return len(inService(s)) == 1 })
			waitFor(t, "the observation", func() bool { return observation(s, ObsNotFromTemplate).Count == 1 })
			tokens, calls := g.conformState()
			if calls["i-0001"] != tc.calls || tokens["i-0001"] != tc.tokens {
				t.Errorf("%d Conform calls, HttpTokens %s; want %d, %s", calls["i-0001"], tokens["i-0001"], tc.calls, tc.tokens)
			}
			o := observation(s, ObsNotFromTemplate)
			for _, w := range tc.says {
				if !strings.Contains(o.Detail, w) {
					t.Errorf("observation %q does not say %q", o.Detail, w)
				}
			}
			if got := served(t, front, 2); got["i-0001"] != 2 {
				t.Errorf("served %v", got)
			}
		})
	}
}

// TestConformDoesNotHoldServer: a Conform that does not answer neither
// keeps the instance's server from serving nor the stand-in from
// stopping.
func TestConformDoesNotHoldServer(t *testing.T) {
	g := newFakeGroup(1)
	g.holdConform = make(chan struct{}) // never released
	l := &fakeLauncher{t: t}
	cfg := fast(g, l)
	cfg.ConformTimeout = time.Minute
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	waitFor(t, "one in service", func() bool { return len(inService(s)) == 1 })
	waitFor(t, "a Conform under way", func() bool { _, calls := g.conformState(); return calls["i-0001"] == 1 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return while a Conform was under way")
	}
	if o := observation(s, ObsNotFromTemplate); o.Count != 0 {
		t.Errorf("an interrupted Conform was reported: %+v", o)
	}
}
