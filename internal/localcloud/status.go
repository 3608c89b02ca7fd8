package localcloud

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/twinstack/twinstack/internal/localcloud/servergroup"
	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/state"
)

// ProcStatus is one recorded process and whether it answers.
type ProcStatus struct {
	Proc
	Alive   bool
	Answers bool
	Detail  string
	// Group is a server group stand-in's own status (its servers).
	Group *servergroup.Status
}

// Status reports every recorded process: alive (same PID and start time)
// and answering (its health URL, or its port).
func Status(ctx context.Context, root string) (*state.State, []ProcStatus, error) {
	l := Layout{Root: root}
	rec, err := LoadRecord(l.RecordFile())
	if err != nil {
		return nil, nil, err
	}
	st, err := state.Load(l.StateFile())
	if rec == nil && err != nil {
		return nil, nil, err
	}
	if rec == nil {
		rec = &Record{}
	}
	var out []ProcStatus
	for _, p := range rec.Processes {
		s := ProcStatus{Proc: p, Alive: proc.Alive(p.Ref)}
		if s.Alive {
			s.Answers, s.Detail = probe(ctx, p)
		}
		if s.Alive && p.Role == RoleGroup {
			if g, err := GroupStatus(ctx, p.URL); err == nil {
				s.Group = &g
			}
		}
		out = append(out, s)
	}
	return st, out, nil
}

func probe(ctx context.Context, p Proc) (bool, string) {
	var path string
	switch p.Role {
	case "moto":
		path = "/moto-api/config"
	case "server":
		path = "/readyz"
	case RoleGroup, "lambda-pool":
		path = "/lb/healthz"
	case "origin":
		path = "/healthz"
	default:
		if proc.Listening(p.Port) {
			return true, "port open"
		}
		return false, "port closed"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(p.URL, "/")+path, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, "no answer"
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode/100 == 2, fmt.Sprintf("GET %s: %d", path, resp.StatusCode)
}
