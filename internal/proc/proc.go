package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Spec says how to start one process.
type Spec struct {
	Name string   // short name, used for the log file ("server-tf-1")
	Path string   // executable (looked up in PATH when it has no slash)
	Args []string // arguments, without the program name
	Env  []string // full environment (KEY=VALUE); nil inherits none
	Dir  string   // working directory
	// LogDir receives <Name>.log. Empty: output is discarded.
	LogDir string
	// Child starts the process as a child of this one rather than as a
	// daemon: in this process's group (stopping the group stops it too)
	// and, on Linux, signalled with SIGTERM when this process dies. The
	// Auto Scaling group's stand-in starts its servers so: they must not
	// outlive it.
	Child bool
}

// Ref identifies a started process. It is what the state file records.
type Ref struct {
	Name  string `json:"name"`
	PID   int    `json:"pid"`
	PGID  int    `json:"pgid"`
	Start uint64 `json:"start_ticks"` // start time in clock ticks since boot (/proc/PID/stat field 22)
	Log   string `json:"log,omitempty"`
}

// Process is a process started by Start in this process.
type Process struct {
	Ref
	done chan struct{}
	err  error
}

// ErrNotFound reports that a program is not installed.
var ErrNotFound = errors.New("program not found")

// Start starts spec in its own process group and returns once it has been
// forked; it does not wait for readiness (see WaitHTTP). The child is reaped
// by a goroutine of this process, so stopping it later leaves no zombie.
func Start(spec Spec) (*Process, error) {
	path := spec.Path
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.Path, ErrNotFound)
		}
		path = p
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Path, ErrNotFound)
	}
	cmd := exec.Command(path, spec.Args...)
	cmd.Env = spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: !spec.Child}
	if spec.Child {
		dieWithParent(cmd.SysProcAttr)
	}
	var logPath string
	var logf *os.File
	if spec.LogDir != "" {
		if err := os.MkdirAll(spec.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("log dir: %w", err)
		}
		logPath = filepath.Join(spec.LogDir, spec.Name+".log")
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("log file: %w", err)
		}
		logf = f
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		if logf != nil {
			logf.Close()
		}
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	if logf != nil {
		logf.Close() // the child holds its own copy
	}
	p := &Process{done: make(chan struct{})}
	p.Name, p.PID, p.PGID, p.Log = spec.Name, cmd.Process.Pid, cmd.Process.Pid, logPath
	if st, err := readStat(p.PID); err == nil {
		p.Start = st.start
		if spec.Child {
			p.PGID = st.pgrp // this process's group: Stop signals the PID alone
		}
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Done is closed when a process started by this process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the exit error once Done is closed.
func (p *Process) Err() error { return p.err }

type stat struct {
	state byte
	pgrp  int
	start uint64
}

// readStat parses /proc/PID/stat. The command name may contain spaces and
// parentheses, so fields are counted from the last ')'.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); field N is f[N-3].
	if len(f) < 20 {
		return stat{}, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	pgrp, _ := strconv.Atoi(f[2])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	return stat{state: f[0][0], pgrp: pgrp, start: start}, nil
}

// Alive reports whether the process r still runs: same PID and same start
// time, and not a zombie.
func Alive(r Ref) bool {
	if r.PID <= 0 {
		return false
	}
	st, err := readStat(r.PID)
	if err != nil || st.state == 'Z' || st.state == 'X' {
		return false
	}
	return r.Start == 0 || st.start == r.Start
}

// Stop ends r: SIGTERM to its process group (or to the PID alone when the
// group has changed), then SIGKILL after grace. It returns once the process
// has gone. A process that is not alive (or whose PID now belongs to another
// program) is left alone and Stop returns nil.
func Stop(ctx context.Context, r Ref, grace time.Duration) error {
	if !Alive(r) {
		return nil
	}
	signal := func(sig syscall.Signal) {
		// The group is ours only while its leader is the process we
		// started: PGID == PID and the stat's group matches.
		if st, err := readStat(r.PID); err == nil && r.PGID == r.PID && st.pgrp == r.PGID {
			_ = syscall.Kill(-r.PGID, sig)
			return
		}
		_ = syscall.Kill(r.PID, sig)
	}
	signal(syscall.SIGTERM)
	if waitGone(ctx, r, grace) {
		killGroupRest(r)
		return nil
	}
	signal(syscall.SIGKILL)
	if waitGone(ctx, r, 5*time.Second) {
		killGroupRest(r)
		return nil
	}
	return fmt.Errorf("process %s (pid %d) did not exit", r.Name, r.PID)
}

// killGroupRest kills what is left of a group whose leader has exited
// (children that ignored SIGTERM). Only when the group id is the leader's
// PID, so it was created by Start.
func killGroupRest(r Ref) {
	if r.PGID == r.PID && r.PGID > 1 {
		_ = syscall.Kill(-r.PGID, syscall.SIGKILL)
	}
}

func waitGone(ctx context.Context, r Ref, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !Alive(r) {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitHTTP polls url until it answers with a status below 500, r exits, or
// timeout passes. The error names the process and carries the tail of its log.
func WaitHTTP(ctx context.Context, r Ref, url string, timeout time.Duration) error {
	return wait(ctx, r, timeout, func(ctx context.Context) bool {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode < 500
	})
}

// WaitTCP polls addr until it accepts a connection, r exits, or timeout.
func WaitTCP(ctx context.Context, r Ref, addr string, timeout time.Duration) error {
	return wait(ctx, r, timeout, func(ctx context.Context) bool {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// ErrNotReady reports that a process did not become ready in time.
var ErrNotReady = errors.New("not ready")

// ErrExited reports that a process exited while it was awaited.
var ErrExited = errors.New("exited")

func wait(ctx context.Context, r Ref, timeout time.Duration, ready func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		ok := ready(pctx)
		pcancel()
		if ok {
			return nil
		}
		if !Alive(r) {
			return fmt.Errorf("%s (pid %d) %w: %s", r.Name, r.PID, ErrExited, LogTail(r.Log, 5))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s (pid %d) %w after %s: %s", r.Name, r.PID, ErrNotReady, timeout, LogTail(r.Log, 5))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LogTail returns the last n non-empty lines of a log file, joined by " | ",
// for error messages.
func LogTail(path string, n int) string {
	if path == "" {
		return "(no log)"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	if len(b) > 64<<10 {
		b = b[len(b)-64<<10:]
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(empty log " + path + ")"
	}
	return strings.Join(lines, " | ")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PortFree reports whether port can be bound on 127.0.0.1 now.
func PortFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Listening reports whether something accepts connections on 127.0.0.1:port.
func Listening(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// RefOf builds the Ref of a running process started elsewhere (by another
// package, in its own process group), recording its start time so that a
// later Stop cannot hit a reused PID.
func RefOf(name string, pid int, log string) (Ref, error) {
	st, err := readStat(pid)
	if err != nil {
		return Ref{}, fmt.Errorf("process %s (pid %d): %w", name, pid, err)
	}
	return Ref{Name: name, PID: pid, PGID: st.pgrp, Start: st.start, Log: log}, nil
}
