package servergroup

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/twinstack/twinstack/internal/lbproxy"
)

// StatusPath is where the stand-in answers its Status (JSON); every other
// path goes to the balancer, which answers its own health on /lb/healthz.
const StatusPath = "/lb/targets"

// Status is what the stand-in reports on StatusPath.
type Status struct {
	Group string `json:"group"`
	// Desired is the group's desired capacity at the last poll.
	Desired  int       `json:"desired"`
	LastPoll time.Time `json:"last_poll,omitzero"`
	// PollError is the last poll's error (the emulator did not answer).
	PollError string `json:"poll_error,omitempty"`
	// Targets are the running servers, by instance id.
	Targets []TargetStatus `json:"targets"`
	// Gone are the last servers that ended, oldest first.
	Gone []TargetStatus `json:"gone,omitempty"`
	// Observations are what the emulator left undone that AWS does, each
	// with the local step the stand-in took.
	Observations []Observation `json:"emulator_observations,omitempty"`
}

// InService lists the targets that take traffic.
func (s Status) InService() []TargetStatus {
	var out []TargetStatus
	for _, t := range s.Targets {
		if t.State == StateInService {
			out = append(out, t)
		}
	}
	return out
}

// TargetStatus is one server.
type TargetStatus struct {
	InstanceID string `json:"instance_id"`
	URL        string `json:"url"`
	PID        int    `json:"pid"`
	State      string `json:"state"`
	// Health is the group's view of the instance at the last poll
	// ("InService/Healthy").
	Health    string    `json:"health,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	StartedAt time.Time `json:"started_at"`
	ReadyAt   time.Time `json:"ready_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// The balancer's counters for this server (zero before it was ready).
	lbproxy.Stats
}

// Observation is one kind of thing the emulator left undone, how often,
// and the latest occurrence in words.
type Observation struct {
	ID     string    `json:"id"`
	Detail string    `json:"detail"`
	Count  int       `json:"count"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
}

// statusView is the status as last published by Run's goroutine; the
// counters of live targets are read when it is served.
type statusView struct {
	st      Status
	targets []*lbproxy.Target // parallel to st.Targets (nil before ready)
	gone    []*lbproxy.Target // parallel to st.Gone
}

func (s *StandIn) view(m *member) TargetStatus {
	ts := TargetStatus{InstanceID: m.id, URL: m.srv.URL(), PID: m.srv.Ref().PID, State: m.state, Health: m.health,
		StartedAt: m.started, ReadyAt: m.ready}
	if m.target != nil {
		ts.Stats = m.target.Stats()
	}
	return ts
}

// publish makes the current state what StatusPath serves.
func (s *StandIn) publish() {
	v := &statusView{st: Status{Group: s.cfg.Name, Desired: s.desired, LastPoll: s.lastPoll, PollError: s.pollErr}}
	for _, id := range slices.Sorted(maps.Keys(s.members)) {
		m := s.members[id]
		v.st.Targets = append(v.st.Targets, s.view(m))
		v.targets = append(v.targets, m.target)
	}
	for _, e := range s.gone {
		v.st.Gone = append(v.st.Gone, e.ts)
		v.gone = append(v.gone, e.target)
	}
	for _, id := range s.obsOrder {
		v.st.Observations = append(v.st.Observations, *s.obs[id])
	}
	s.status.Store(v)
}

// Status is the stand-in's current status, with live counters.
func (s *StandIn) Status() Status {
	v := s.status.Load()
	st := v.st
	st.Targets = slices.Clone(st.Targets)
	st.Gone = slices.Clone(st.Gone)
	for i, t := range v.targets {
		if t != nil {
			st.Targets[i].Stats = t.Stats()
		}
	}
	for i, t := range v.gone {
		if t != nil {
			st.Gone[i].Stats = t.Stats()
		}
	}
	return st
}

// Handler serves the balancer, and the status on StatusPath.
func (s *StandIn) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+StatusPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(s.Status())
	})
	mux.Handle("/", s.lb)
	return mux
}
