package servergroup

import (
	"context"
	"strconv"
	"time"

	"github.com/twinstack/twinstack/internal/proc"
)

// ProcLauncher starts `twinstack serve` as a child process per instance,
// on a free loopback port, with the instance's id as INSTANCE_ID.
type ProcLauncher struct {
	// Path is the twinstack binary.
	Path string
	// Env is every server's environment (bucket, tables, endpoint, ...);
	// HOST, PORT, INSTANCE_ID and IMDS are set per server.
	Env []string
	// Name prefixes each server's process and log name
	// ("server-terraform" -> server-terraform-i-0abc.log).
	Name   string
	LogDir string
	Dir    string
}

// Launch starts the server of instance id. It returns once the process is
// forked; readiness is the stand-in's to wait for.
func (l *ProcLauncher) Launch(ctx context.Context, id string) (Server, error) {
	port, err := proc.FreePort()
	if err != nil {
		return nil, err
	}
	// The last value of a repeated key wins (os/exec).
	env := append(append([]string(nil), l.Env...),
		"HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "INSTANCE_ID="+id, "IMDS=off")
	p, err := proc.Start(proc.Spec{Name: l.Name + "-" + id, Path: l.Path, Args: []string{"serve"}, Env: env,
		Dir: l.Dir, LogDir: l.LogDir, Child: true})
	if err != nil {
		return nil, err
	}
	return &procServer{p: p, url: "http://127.0.0.1:" + strconv.Itoa(port)}, nil
}

type procServer struct {
	p   *proc.Process
	url string
}

func (s *procServer) URL() string           { return s.url }
func (s *procServer) Ref() proc.Ref         { return s.p.Ref }
func (s *procServer) Done() <-chan struct{} { return s.p.Done() }
func (s *procServer) Err() error            { return s.p.Err() }

func (s *procServer) Stop(ctx context.Context, grace time.Duration) error {
	if err := proc.Stop(ctx, s.p.Ref, grace); err != nil {
		return err
	}
	<-s.p.Done() // reaped
	return nil
}
