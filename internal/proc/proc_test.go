package proc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child process: TestMain runs a helper
// when PROC_HELPER is set.
func TestMain(m *testing.M) {
	switch os.Getenv("PROC_HELPER") {
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignoring SIGTERM")
		time.Sleep(time.Minute)
		os.Exit(0)
	case "spawn":
		// Starts a sleeping child of its own and reports its PID.
		exe, _ := os.Executable()
		c, err := Start(Spec{Name: "child", Path: exe, Env: []string{"PROC_HELPER=sleep"}, Child: true})
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Printf("child %d\n", c.PID)
		time.Sleep(time.Minute)
		os.Exit(0)
	case "fail":
		fmt.Println("cannot start: bad setting")
		os.Exit(3)
	case "http":
		port := os.Getenv("PORT")
		time.Sleep(300 * time.Millisecond)
		http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
		fmt.Println(http.ListenAndServe("127.0.0.1:"+port, nil))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func helper(t *testing.T, kind string, env ...string) *Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(Spec{Name: kind, Path: exe, Env: append([]string{"PROC_HELPER=" + kind}, env...), LogDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Stop(context.Background(), p.Ref, time.Second) })
	return p
}

func TestStartStop(t *testing.T) {
	p := helper(t, "sleep")
	if !Alive(p.Ref) {
		t.Fatal("not alive after start")
	}
	if p.PGID != p.PID || p.Start == 0 {
		t.Fatalf("ref = %+v, want own group and a start time", p.Ref)
	}
	if err := Stop(context.Background(), p.Ref, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if Alive(p.Ref) {
		t.Fatal("alive after stop")
	}
	select {
	case <-p.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("not reaped")
	}
}

func TestStopKillsAfterGrace(t *testing.T) {
	p := helper(t, "ignore-term")
	time.Sleep(200 * time.Millisecond) // let it install the handler
	start := time.Now()
	if err := Stop(context.Background(), p.Ref, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if Alive(p.Ref) {
		t.Fatal("alive after stop")
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("stopped after %s, before the grace period", d)
	}
}

func TestStopLeavesReusedPIDAlone(t *testing.T) {
	p := helper(t, "sleep")
	stale := p.Ref
	stale.Start++ // as if the PID now belonged to another program
	if Alive(stale) {
		t.Fatal("a ref with another start time is alive")
	}
	if err := Stop(context.Background(), stale, time.Second); err != nil {
		t.Fatal(err)
	}
	if !Alive(p.Ref) {
		t.Fatal("stop signalled a process it did not start")
	}
}

func TestWaitHTTP(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p := helper(t, "http", "PORT="+strconv.Itoa(port))
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
	if err := WaitHTTP(context.Background(), p.Ref, url, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if !Listening(port) || PortFree(port) {
		t.Fatal("port not in use after ready")
	}
}

func TestWaitReportsExit(t *testing.T) {
	p := helper(t, "fail")
	err := WaitHTTP(context.Background(), p.Ref, "http://127.0.0.1:1/", 10*time.Second)
	if !errors.Is(err, ErrExited) {
		t.Fatalf("err = %v, want ErrExited", err)
	}
	if want := "cannot start: bad setting"; !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want the log tail %q", err, want)
	}
}

func TestWaitTimesOut(t *testing.T) {
	p := helper(t, "sleep")
	err := WaitTCP(context.Background(), p.Ref, "127.0.0.1:1", 300*time.Millisecond)
	if !errors.Is(err, ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
}

func TestStartMissingProgram(t *testing.T) {
	_, err := Start(Spec{Name: "x", Path: "no-such-program-twinstack"})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestReadStatParsesOddNames(t *testing.T) {
	st, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.state == 0 || st.start == 0 {
		t.Fatalf("stat = %+v", st)
	}
}

// TestChildDiesWithParent: a Child runs in its parent's process group and
// ends when its parent is killed outright (no chance to stop it).
func TestChildDiesWithParent(t *testing.T) {
	parent := helper(t, "spawn")
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(parent.Log)
		fmt.Sscanf(string(b), "child %d", &pid)
		time.Sleep(20 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatalf("no child reported: %s", LogTail(parent.Log, 3))
	}
	child, err := RefOf("child", pid, "")
	if err != nil {
		t.Fatal(err)
	}
	if child.PGID != parent.PGID {
		t.Errorf("child group %d, want its parent's %d", child.PGID, parent.PGID)
	}
	if err := syscall.Kill(parent.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !waitGone(context.Background(), child, 5*time.Second) {
		Stop(context.Background(), child, time.Second)
		t.Fatal("child still runs 5s after its parent was killed")
	}
}

// TestStopChildSignalsItAlone: stopping a Child signals its PID, never the
// group it shares with its parent (this test process).
func TestStopChildSignalsItAlone(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(Spec{Name: "child", Path: exe, Env: []string{"PROC_HELPER=sleep"}, Child: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.PGID != syscall.Getpgrp() {
		t.Errorf("child's group %d, want this process's %d", p.PGID, syscall.Getpgrp())
	}
	if err := Stop(context.Background(), p.Ref, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not reaped")
	}
}
