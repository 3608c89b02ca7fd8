package main

// Integration tests: the bootstrap, built for this host, runs under the
// Lambda Runtime Interface Emulator and is invoked over the emulator's HTTP
// API. They are skipped under -short, and skipped when the emulator is
// missing unless TWINSTACK_REQUIRE_TOOLS=1.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/artifact"
	"github.com/twinstack/twinstack/lambda/emulator"
)

// built is the bootstrap built once per test binary.
type built struct {
	once sync.Once
	path string
	err  error
}

func (b *built) get(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "twinstack-bootstrap-")
		if err != nil {
			b.err = err
			return
		}
		_, b.err = artifact.BuildLambda(context.Background(), artifact.LambdaOptions{
			GoArch: runtime.GOARCH, Bootstrap: filepath.Join(dir, artifact.BootstrapName),
		})
		b.path = filepath.Join(dir, artifact.BootstrapName)
	})
	if b.err != nil {
		t.Fatalf("build bootstrap: %v", b.err)
	}
	return b.path
}

func (b *built) cleanup() {
	if b.path != "" {
		os.RemoveAll(filepath.Dir(b.path))
	}
}

var hostBootstrap built // set once by the first integration test; removed in TestMain

func TestMain(m *testing.M) {
	code := m.Run()
	hostBootstrap.cleanup()
	os.Exit(code)
}

// moduleRoot is the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// requireEmulator finds bin/aws-lambda-rie (make rie) or skips.
func requireEmulator(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (emulator)")
	}
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skipf("the emulator runs on linux/amd64|arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	p, err := emulator.Lookup(moduleRoot(t))
	if err != nil {
		if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
			t.Fatalf("TWINSTACK_REQUIRE_TOOLS=1: %v", err)
		}
		t.Skip(err)
	}
	return p
}

// startFunction runs the host bootstrap under the emulator with env.
func startFunction(t *testing.T, timeout time.Duration, env ...string) *emulator.Emulator {
	t.Helper()
	rie := requireEmulator(t)
	boot := hostBootstrap.get(t)
	e, err := emulator.Start(context.Background(), emulator.Options{RIE: rie, Bootstrap: boot, Env: env, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Stop()
		if t.Failed() {
			t.Logf("emulator output:\n%s", e.Output())
		}
	})
	return e
}

func invokeT(t *testing.T, e *emulator.Emulator, reqID string, payload any) emulator.Result {
	t.Helper()
	b, ok := payload.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := e.Invoke(ctx, reqID, b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// answerOf decodes a direct answer (or a proxy response's body), checking and
// removing the timings.
func answerOf(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	for _, k := range []string{"server_ms", "total_ms"} {
		if v, ok := m[k].(float64); !ok || v < 0 {
			t.Errorf("%s = %v", k, m[k])
		}
		delete(m, k)
	}
	return m
}

func proxyOf(t *testing.T, b []byte) (int, map[string]string, map[string]any) {
	t.Helper()
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(b, &resp); err != nil || resp.StatusCode == 0 {
		t.Fatalf("not a proxy response: %v: %s", err, b)
	}
	return resp.StatusCode, resp.Headers, answerOf(t, []byte(resp.Body))
}

func urlEvent(body string, b64 bool) events.LambdaFunctionURLRequest {
	if b64 {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	return events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: "/", Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.LambdaFunctionURLRequestContext{
			RequestID: "url", APIID: "local", DomainName: "local.lambda-url.us-east-1.on.aws",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "POST", Path: "/", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1"},
		},
		Body: body, IsBase64Encoded: b64,
	}
}

func httpAPIEvent(body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /images", RawPath: "/images",
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /images", Stage: "$default", RequestID: "api",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/images", Protocol: "HTTP/1.1"},
		},
		Body: body,
	}
}

// mimic is an httptest server answering POST /images as the server does,
// recording the Idempotency-Key of each call.
type mimic struct {
	*httptest.Server
	mu     sync.Mutex
	keys   []string
	status int
	hang   chan struct{}
}

func newMimic(t *testing.T) *mimic {
	m := &mimic{status: http.StatusCreated, hang: make(chan struct{})}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ImageURL string `json:"image_url"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		m.mu.Lock()
		m.keys = append(m.keys, r.Header.Get("Idempotency-Key"))
		status := m.status
		m.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/images" {
			http.NotFound(w, r)
			return
		}
		if strings.Contains(req.ImageURL, "hang") {
			select {
			case <-r.Context().Done():
			case <-m.hang:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status >= 400 {
			fmt.Fprintf(w, `{"status":"failure","error":{"code":"storage_unavailable","message":"storage unavailable"}}`)
			return
		}
		fmt.Fprintf(w, `{"status":"success","image_id":"01JTEST","source_url":%q}`, req.ImageURL)
	}))
	t.Cleanup(func() { close(m.hang); m.Close() })
	return m
}

func (m *mimic) setStatus(s int) {
	m.mu.Lock()
	m.status = s
	m.mu.Unlock()
}

func (m *mimic) idempotencyKeys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.keys...)
}

// TestEmulatorEvents drives the function under the emulator with both
// event shapes against a server mimic, and reports the cold start.
func TestEmulatorEvents(t *testing.T) {
	srv := newMimic(t)
	e := startFunction(t, 30*time.Second, "SERVER_URL="+srv.URL)
	const img = "https://origin.example/cat.png"
	body := `{"image_url":"` + img + `"}`
	success := map[string]any{"status": "success", "image_id": "01JTEST", "source_url": img}
	with := func(m map[string]any, id string) map[string]any {
		out := map[string]any{"request_id": id}
		for k, v := range m {
			out[k] = v
		}
		return out
	}

	// The first invocation initialises the function (cold start).
	res := invokeT(t, e, "rie-direct-1", []byte(body))
	coldStart, firstCall := time.Since(e.Started()), res.Took
	if res.Status != http.StatusOK {
		t.Fatalf("invoke status %d: %s", res.Status, res.Body)
	}
	if d := cmp.Diff(with(success, "rie-direct-1"), answerOf(t, res.Body)); d != "" {
		t.Errorf("direct answer (-want +got):\n%s", d)
	}

	res = invokeT(t, e, "rie-url-1", urlEvent(body, true))
	status, headers, got := proxyOf(t, res.Body)
	if status != http.StatusCreated || headers["X-Request-Id"] != "rie-url-1" {
		t.Errorf("function URL: status %d, headers %v", status, headers)
	}
	if d := cmp.Diff(with(success, "rie-url-1"), got); d != "" {
		t.Errorf("function URL answer (-want +got):\n%s", d)
	}

	res = invokeT(t, e, "rie-api-1", httpAPIEvent(body))
	if status, _, got := proxyOf(t, res.Body); status != http.StatusCreated || got["status"] != "success" {
		t.Errorf("HTTP API v2: status %d, body %v", status, got)
	}

	srv.setStatus(http.StatusServiceUnavailable)
	res = invokeT(t, e, "rie-url-2", urlEvent(body, false))
	if status, _, got := proxyOf(t, res.Body); status != http.StatusServiceUnavailable || got["status"] != "failure" {
		t.Errorf("503 pass-through: status %d, body %v", status, got)
	}
	res = invokeT(t, e, "rie-direct-2", []byte(body))
	if got := answerOf(t, res.Body); got["status"] != "failure" || got["request_id"] != "rie-direct-2" {
		t.Errorf("503 direct: %v", got)
	}

	// Not an event the function understands: no call to the server.
	before := len(srv.idempotencyKeys())
	res = invokeT(t, e, "rie-bad-1", []byte(`{"Records":[]}`))
	if got := answerOf(t, res.Body); got["status"] != "failure" || got["error"].(map[string]any)["code"] != "invalid_request" {
		t.Errorf("bad event: %v", got)
	}
	if n := len(srv.idempotencyKeys()) - before; n != 0 {
		t.Errorf("bad event called the server %d times", n)
	}

	// A retried invocation keeps its request id, so the server sees the
	// same Idempotency-Key.
	invokeT(t, e, "rie-direct-1", []byte(body))
	want := []string{"rie-direct-1", "rie-url-1", "rie-api-1", "rie-url-2", "rie-direct-2", "rie-direct-1"}
	if d := cmp.Diff(want, srv.idempotencyKeys()); d != "" {
		t.Errorf("Idempotency-Key per call (-want +got):\n%s", d)
	}

	reports := e.WaitReports(7, 5*time.Second)
	if len(reports) < 7 || reports[0].RequestID != "rie-direct-1" || reports[0].Init <= 0 {
		t.Fatalf("REPORT lines: %+v", reports)
	}
	for _, r := range reports[1:] {
		if r.Init != 0 {
			t.Errorf("init reported again: %+v", r)
		}
	}
	t.Logf("cold start: %s from emulator start to first answer; emulator Init Duration %s; first invoke %s (call), %s (REPORT Duration); warm invoke REPORT Duration %s",
		coldStart.Round(time.Millisecond), reports[0].Init, firstCall.Round(time.Millisecond), reports[0].Duration, reports[1].Duration)
}

// TestColdStart measures the function's cold start under the emulator a few
// times against a server mimic and logs the medians (go test -v -run
// ColdStart ./lambda). The emulator's "Init Duration" only times its own
// init call, which returns once the bootstrap is started; the bootstrap's
// start-up (exec, Go runtime, Runtime API handshake) shows in the first
// invocation instead, so that is measured too.
func TestColdStart(t *testing.T) {
	srv := newMimic(t)
	const runs = 5
	body := []byte(`{"image_url":"https://origin.example/cat.png"}`)
	var toFirst, firstCall, warmCall, initDur, firstDur, warmDur []time.Duration
	for i := range runs {
		e := startFunction(t, 30*time.Second, "SERVER_URL="+srv.URL)
		res := invokeT(t, e, fmt.Sprintf("cold-%d", i), body)
		toFirst = append(toFirst, time.Since(e.Started()))
		firstCall = append(firstCall, res.Took)
		res = invokeT(t, e, fmt.Sprintf("warm-%d", i), body)
		warmCall = append(warmCall, res.Took)
		reps := e.WaitReports(2, 5*time.Second)
		if len(reps) < 2 {
			t.Fatalf("REPORT lines: %+v", reps)
		}
		initDur = append(initDur, reps[0].Init)
		firstDur = append(firstDur, reps[0].Duration)
		warmDur = append(warmDur, reps[1].Duration)
		e.Stop()
	}
	med := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2].Round(10 * time.Microsecond)
	}
	t.Logf("cold start, median of %d: emulator start to first answer %s; first invoke call %s (REPORT Duration %s, emulator Init Duration %s); warm invoke call %s (REPORT Duration %s)",
		runs, med(toFirst), med(firstCall), med(firstDur), med(initDur), med(warmCall), med(warmDur))
}

// TestEmulatorServerDown: unreachable server and a server slower than the
// function's timeout both give failure payloads before the deadline.
func TestEmulatorServerDown(t *testing.T) {
	srv := newMimic(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	t.Run("unreachable", func(t *testing.T) {
		e := startFunction(t, 5*time.Second, "SERVER_URL="+closed)
		res := invokeT(t, e, "rie-down-1", urlEvent(`{"image_url":"https://origin.example/a.png"}`, false))
		status, _, got := proxyOf(t, res.Body)
		if status != http.StatusBadGateway || got["error"].(map[string]any)["code"] != "server_unreachable" {
			t.Errorf("status %d, body %v", status, got)
		}
	})

	t.Run("timeout before the deadline", func(t *testing.T) {
		const timeout = 2 * time.Second
		e := startFunction(t, timeout, "SERVER_URL="+srv.URL)
		invokeT(t, e, "rie-warm", []byte(`{"image_url":"https://origin.example/a.png"}`)) // init outside the measured call
		res := invokeT(t, e, "rie-hang-1", []byte(`{"image_url":"https://origin.example/hang.png"}`))
		if res.Status != http.StatusOK || bytes.Contains(res.Body, []byte("Task timed out")) {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		got := answerOf(t, res.Body)
		if got["error"].(map[string]any)["code"] != "server_timeout" {
			t.Errorf("answer %v", got)
		}
		if res.Took >= timeout || res.Took < timeout/2 {
			t.Errorf("answered after %s; want between %s and %s (deadline less the margin)", res.Took, timeout/2, timeout)
		}
		t.Logf("server_timeout answered after %s with a %s function timeout", res.Took.Round(time.Millisecond), timeout)
	})
}

// TestEmulatorBadConfig: without SERVER_URL the function fails its init with
// a line naming the setting.
func TestEmulatorBadConfig(t *testing.T) {
	e := startFunction(t, 5*time.Second, "SERVER_URL=")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := e.Invoke(ctx, "rie-noconf", []byte(`{"image_url":"https://origin.example/a.png"}`))
	if err == nil && res.Status == http.StatusOK {
		t.Errorf("invoke succeeded without SERVER_URL: %s", res.Body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.Output(), "SERVER_URL is not set") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(e.Output(), "SERVER_URL is not set") {
		t.Errorf("no line naming SERVER_URL in the output:\n%s", e.Output())
	}
	if testing.Verbose() {
		t.Logf("invoke: status %d, err %v, body %s\noutput:\n%s", res.Status, err, res.Body, e.Output())
	}
}
