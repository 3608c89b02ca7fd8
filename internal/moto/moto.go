package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Binary is the default moto_server executable name, found on PATH.
const Binary = "moto_server"

// Options configure Start. The zero value is usable.
type Options struct {
	// Binary is the moto_server executable (default Binary on PATH).
	Binary string
	// Port to listen on; 0 picks a free loopback port.
	Port int
	// Log receives moto_server's stdout and stderr (default: discarded).
	// When LogFile is set it is opened for appending instead.
	Log     io.Writer
	LogFile string
	// StartTimeout bounds the wait until moto answers (default 30s).
	StartTimeout time.Duration
	// Env is appended to the process environment (after
	// MOTO_IAM_LOAD_MANAGED_POLICIES=true).
	Env []string
	// DieWithParent kills moto when the starting process dies, even
	// without Stop (Linux; tests set it). The CLI leaves it off: its moto
	// outlives `local up`.
	DieWithParent bool
}

// Server is a running moto_server process.
type Server struct {
	cmd     *exec.Cmd
	port    int
	done    chan struct{} // closed when the process has exited
	waitErr error
	logFile *os.File
}

// Start runs moto_server on a loopback port and returns once it answers
// HTTP. ctx bounds the start only: the process lives until Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		bin = Binary
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("moto: %w", err)
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// A free port found by listening and closing can be taken before moto
	// binds it; retry a few times when the port was ours to choose.
	attempts := 1
	if opts.Port == 0 {
		attempts = 3
	}
	var lastErr error
	for range attempts {
		port := opts.Port
		if port == 0 {
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		s, err := start(ctx, path, port, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func start(ctx context.Context, path string, port int, opts Options) (*Server, error) {
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	cmd.Env = append(cmd.Env, opts.Env...)
	// Its own process group: a Ctrl-C meant for the CLI does not reach it,
	// and Stop decides when it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if opts.DieWithParent {
		dieWithParent(cmd.SysProcAttr)
	}
	s := &Server{cmd: cmd, port: port, done: make(chan struct{})}
	switch {
	case opts.LogFile != "":
		f, err := os.OpenFile(opts.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("moto: log file: %w", err)
		}
		s.logFile = f
		cmd.Stdout, cmd.Stderr = f, f
	case opts.Log != nil:
		cmd.Stdout, cmd.Stderr = opts.Log, opts.Log
	}
	if err := cmd.Start(); err != nil {
		s.closeLog()
		return nil, fmt.Errorf("moto: start: %w", err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		s.closeLog()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) closeLog() {
	if s.logFile != nil {
		_ = s.logFile.Close()
	}
}

func (s *Server) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	url := s.Endpoint() + "/moto-api/"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("moto: exited before answering on port %d: %v", s.port, s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("moto: not answering on port %d: %w", s.port, ctx.Err())
		case <-tick.C:
		}
	}
}

// Endpoint is the base URL of the server: http://localhost:PORT.
func (s *Server) Endpoint() string { return "http://localhost:" + strconv.Itoa(s.port) }

// Port is the TCP port moto listens on.
func (s *Server) Port() int { return s.port }

// PID is the process id of moto_server.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop ends the process by its PID (SIGTERM, then SIGKILL after 5s) and
// waits for it. Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(5 * time.Second):
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("moto: kill %d: %w", s.PID(), err)
	}
	<-s.done
	return nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("moto: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
