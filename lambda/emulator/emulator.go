package emulator

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Binary is the emulator's executable name.
const Binary = "aws-lambda-rie"

// InvokePath is the emulator's invoke endpoint.
const InvokePath = "/2015-03-31/functions/function/invocations"

// Options configure Start.
type Options struct {
	// RIE is the emulator executable (see Lookup).
	RIE string
	// Bootstrap is the function's executable.
	Bootstrap string
	// Env is the function's environment (SERVER_URL=…); the emulator
	// passes its own environment on to the function.
	Env []string
	// Timeout is the function timeout (AWS_LAMBDA_FUNCTION_TIMEOUT, whole
	// seconds; default 30s, the stacks' default).
	Timeout time.Duration
	// Output, when set, receives the emulator's and the function's output
	// lines (logs, START/END/REPORT).
	Output io.Writer
	// StartTimeout bounds the wait until the emulator listens (default 10s).
	StartTimeout time.Duration
}

// Report is one parsed REPORT line of the emulator.
type Report struct {
	RequestID string
	// Init is the Init Duration (zero except on the first invocation).
	Init     time.Duration
	Duration time.Duration
}

// Emulator is a running emulator with its function.
type Emulator struct {
	cmd     *exec.Cmd
	addr    string
	started time.Time
	done    chan struct{}
	client  *http.Client

	invokeMu sync.Mutex

	mu      sync.Mutex
	reports []Report
	lines   []string
	waitErr error
}

// Lookup finds the emulator: dir/bin/aws-lambda-rie when dir is given and
// it exists (what `make rie` installs), else aws-lambda-rie on PATH.
func Lookup(dir string) (string, error) {
	if dir != "" {
		p := filepath.Join(dir, "bin", Binary)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(Binary)
	if err != nil {
		return "", fmt.Errorf("emulator: %s not found (run `make rie`): %w", Binary, err)
	}
	return p, nil
}

// Start runs the emulator with the bootstrap on two free loopback ports (the
// invoke API and the Runtime API) and returns once the invoke API accepts
// connections. The function itself starts on the first Invoke, as in AWS.
func Start(ctx context.Context, opts Options) (*Emulator, error) {
	if opts.RIE == "" || opts.Bootstrap == "" {
		return nil, errors.New("emulator: RIE and Bootstrap are required")
	}
	boot, err := filepath.Abs(opts.Bootstrap)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if _, err := os.Stat(boot); err != nil {
		return nil, fmt.Errorf("emulator: bootstrap: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	startTimeout := opts.StartTimeout
	if startTimeout <= 0 {
		startTimeout = 10 * time.Second
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	cmd := exec.Command(opts.RIE,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		"--log-level", "warn",
		boot)
	cmd.Dir = filepath.Dir(boot)
	secs := int((timeout + time.Second - 1) / time.Second)
	cmd.Env = append(cmd.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(secs))
	cmd.Env = append(cmd.Env, opts.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw

	e := &Emulator{
		cmd:  cmd,
		addr: addr,
		done: make(chan struct{}),
		// One connection to the emulator; no timeout of its own: callers
		// bound invocations with their context.
		client: &http.Client{Transport: &http.Transport{Proxy: nil}},
	}
	e.started = time.Now()
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("emulator: %w", err)
	}
	go e.scan(pr, opts.Output)
	go func() {
		err := cmd.Wait()
		pw.Close()
		e.mu.Lock()
		e.waitErr = err
		e.mu.Unlock()
		close(e.done)
	}()
	if err := e.waitListening(ctx, startTimeout); err != nil {
		e.Stop()
		return nil, fmt.Errorf("emulator: %w\n%s", err, e.Output())
	}
	return e, nil
}

func (e *Emulator) waitListening(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", e.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-e.done:
			return fmt.Errorf("exited before listening: %v", e.exitErr())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %s", e.addr, timeout)
		}
	}
}

// reportLine matches the emulator's REPORT line.
var reportLine = regexp.MustCompile(`REPORT RequestId: (\S+)\t(?:Init Duration: ([0-9.]+) ms\t)?Duration: ([0-9.]+) ms`)

// ParseReport parses one REPORT line of the emulator.
func ParseReport(line string) (Report, bool) {
	m := reportLine.FindStringSubmatch(line)
	if m == nil {
		return Report{}, false
	}
	r := Report{RequestID: m[1], Duration: msDuration(m[3])}
	if m[2] != "" {
		r.Init = msDuration(m[2])
	}
	return r, true
}

func msDuration(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Millisecond))
}

func (e *Emulator) scan(r io.Reader, out io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if out != nil {
			fmt.Fprintln(out, line)
		}
		e.mu.Lock()
		e.lines = append(e.lines, line)
		if rep, ok := ParseReport(line); ok {
			e.reports = append(e.reports, rep)
		}
		e.mu.Unlock()
	}
	io.Copy(io.Discard, r)
}

// Addr is the invoke API's host:port.
func (e *Emulator) Addr() string { return e.addr }

// URL is the invoke endpoint.
func (e *Emulator) URL() string { return "http://" + e.addr + InvokePath }

// Started is when the emulator process was started.
func (e *Emulator) Started() time.Time { return e.started }

// PID is the emulator's process id (also its process group id).
func (e *Emulator) PID() int { return e.cmd.Process.Pid }

// Done is closed when the emulator has exited.
func (e *Emulator) Done() <-chan struct{} { return e.done }

// Result is the emulator's answer to one invocation.
type Result struct {
	// Status is the invoke API's HTTP status: 200 for any answer of the
	// function (including failure payloads), 502 when init failed.
	Status int
	Body   []byte
	// Took is the wall time of the invoke call.
	Took time.Duration
}

// Invoke sends payload to the function. requestID, when set, becomes the
// invocation's request id (X-Amzn-RequestId), as a retried invocation in
// AWS keeps its id.
func (e *Emulator) Invoke(ctx context.Context, requestID string, payload []byte) (Result, error) {
	e.invokeMu.Lock()
	defer e.invokeMu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL(), bytes.NewReader(payload))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		req.Header.Set("X-Amzn-RequestId", requestID)
	}
	start := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("emulator: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, fmt.Errorf("emulator: invoke: %w", err)
	}
	return Result{Status: resp.StatusCode, Body: body, Took: time.Since(start)}, nil
}

// Reports are the REPORT lines seen so far, in order.
func (e *Emulator) Reports() []Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Report(nil), e.reports...)
}

// WaitReports waits until at least n REPORT lines have been seen (the
// emulator prints them just after answering) or timeout passes, and returns
// those seen.
func (e *Emulator) WaitReports(n int, timeout time.Duration) []Report {
	deadline := time.Now().Add(timeout)
	for {
		r := e.Reports()
		if len(r) >= n || time.Now().After(deadline) {
			return r
		}
		select {
		case <-e.done:
			return e.Reports()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Output is everything the emulator and the function printed so far.
func (e *Emulator) Output() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b bytes.Buffer
	for _, l := range e.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func (e *Emulator) exitErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.waitErr
}

// Stop ends the emulator's process group (the emulator and the bootstrap):
// SIGTERM, then SIGKILL after 3s. It waits for the emulator to exit.
func (e *Emulator) Stop() error {
	e.client.CloseIdleConnections()
	pgid := e.cmd.Process.Pid
	select {
	case <-e.done:
		// The emulator is gone; its group may still hold the bootstrap.
		syscall.Kill(-pgid, syscall.SIGKILL)
		return nil
	default:
	}
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-e.done
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // anything left in the group
	return nil
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
