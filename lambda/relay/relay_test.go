package relay

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/apperr"
)

// fakeServer mimics the image server's POST /images and records what it
// was sent.
type fakeServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []seenRequest
	conns int
}

type seenRequest struct {
	Method, Path, ContentType, IdempotencyKey, RequestID string
	Body                                                 string
}

func newFakeServer(t testing.TB, h http.HandlerFunc) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, seenRequest{
			Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
			IdempotencyKey: r.Header.Get("Idempotency-Key"), RequestID: r.Header.Get("X-Request-Id"),
			Body: string(body),
		})
		f.mu.Unlock()
		h(w, r)
	}))
	f.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
		}
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.reqs...)
}

func (f *fakeServer) connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

// answer writes a fixed status and body, as the server would.
func answer(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Server-Timing", "download;dur=1.0, s3;dur=2.0, dynamodb;dur=3.0, total;dur=6.5")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

const (
	imageURL    = "https://origin.example/cat.png"
	successBody = `{"status":"success","image_id":"01J0000000000000000000000","bucket":"b","key":"images/01J0000000000000000000000","size_bytes":68,"content_type":"image/png","sha256":"ab","source_url":"https://origin.example/cat.png","instance_id":"i-1","created_at":"2026-11-26T00:00:00Z"}`
)

func failureBody(code apperr.Code, msg string) string {
	b, _ := json.Marshal(map[string]any{"status": "failure", "error": map[string]string{"code": string(code), "message": msg}})
	return string(b)
}

func newRelay(t *testing.T, base string, opts Options) (*Relay, *bytes.Buffer) {
	t.Helper()
	u, err := ParseServerURL(base)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	r, err := New(u, NewHTTPClient(), slog.New(slog.NewJSONHandler(&logs, nil)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, &logs
}

// invoke calls r as the Lambda runtime would: request id in the lambda
// context, a deadline on ctx.
func invoke(t *testing.T, r *Relay, reqID string, timeout time.Duration, payload string) []byte {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: reqID})
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := r.Invoke(ctx, []byte(payload))
	if err != nil {
		t.Fatalf("Invoke returned an error (want failures as answers): %v", err)
	}
	return out
}

// decoded is an answer with its timings checked and removed, for cmp.
func decoded(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, b)
	}
	for _, k := range []string{"server_ms", "total_ms"} {
		v, ok := m[k].(float64)
		if !ok || v < 0 {
			t.Errorf("%s = %v, want a non-negative number", k, m[k])
		}
		delete(m, k)
	}
	return m
}

func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// with returns m plus the extra members.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func failureAnswer(code apperr.Code, reqID string) map[string]any {
	return map[string]any{"status": "failure", "error": map[string]any{"code": string(code)}, "request_id": reqID}
}

// dropMessage removes error.message (checked separately) from a failure.
func dropMessage(m map[string]any) (map[string]any, string) {
	e, ok := m["error"].(map[string]any)
	if !ok {
		return m, ""
	}
	msg, _ := e["message"].(string)
	e = with(e)
	delete(e, "message")
	return with(m, "error", e), msg
}

func urlEvent(method, body string, b64 bool) string {
	if b64 {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	ev := events.LambdaFunctionURLRequest{
		Version: "2.0", RawPath: "/", Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.LambdaFunctionURLRequestContext{
			RequestID: "url-req", APIID: "abc", DomainName: "abc.lambda-url.us-east-1.on.aws",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: method, Path: "/", Protocol: "HTTP/1.1", SourceIP: "203.0.113.1"},
		},
		Body: body, IsBase64Encoded: b64,
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func httpAPIEvent(body string, b64 bool) string {
	if b64 {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /images", RawPath: "/images",
		Headers: map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /images", Stage: "$default", RequestID: "api-req",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/images", Protocol: "HTTP/1.1"},
		},
		Body: body, IsBase64Encoded: b64,
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func proxyAnswer(t *testing.T, b []byte) (events.LambdaFunctionURLResponse, map[string]any) {
	t.Helper()
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatalf("not a proxy response: %v\n%s", err, b)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if resp.IsBase64Encoded {
		t.Error("isBase64Encoded set")
	}
	return resp, decoded(t, []byte(resp.Body))
}

func TestPassThrough(t *testing.T) {
	body := `{"image_url":"` + imageURL + `"}`
	tests := []struct {
		name    string
		status  int
		answer  string
		payload string
		http    bool
	}{
		{"direct 201", 201, successBody, body, false},
		{"direct 200 idempotent repeat", 200, successBody, body, false},
		{"direct 400", 400, failureBody(apperr.Invalid, "image_url: scheme ftp not allowed"), body, false},
		{"direct 403", 403, failureBody(apperr.BlockedDestination, "destination blocked"), body, false},
		{"direct 413", 413, failureBody(apperr.TooLarge, "over 20971520 bytes"), body, false},
		{"direct 422", 422, failureBody(apperr.NotAnImage, "not an image"), body, false},
		{"direct 502", 502, failureBody(apperr.OriginError, "origin answered 404"), body, false},
		{"direct 503", 503, failureBody(apperr.StorageUnavailable, "storage unavailable"), body, false},
		{"direct 504", 504, failureBody(apperr.OriginTimeout, "origin timed out"), body, false},
		{"function URL 201", 201, successBody, urlEvent("POST", body, false), true},
		{"function URL base64 201", 201, successBody, urlEvent("POST", body, true), true},
		{"function URL 403", 403, failureBody(apperr.BlockedDestination, "destination blocked"), urlEvent("POST", body, false), true},
		{"function URL 503", 503, failureBody(apperr.StorageUnavailable, "storage unavailable"), urlEvent("POST", body, true), true},
		{"HTTP API v2 201", 201, successBody, httpAPIEvent(body, false), true},
		{"HTTP API v2 base64 422", 422, failureBody(apperr.NotAnImage, "not an image"), httpAPIEvent(body, true), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeServer(t, answer(tc.status, "application/json; charset=UTF-8", tc.answer))
			r, _ := newRelay(t, srv.URL, Options{})
			const reqID = "c0ffee00-0000-4000-8000-000000000001"
			out := invoke(t, r, reqID, 5*time.Second, tc.payload)

			want := with(jsonObject(t, tc.answer), "request_id", reqID)
			var got map[string]any
			if tc.http {
				resp, m := proxyAnswer(t, out)
				got = m
				if resp.StatusCode != tc.status {
					t.Errorf("statusCode = %d, want %d", resp.StatusCode, tc.status)
				}
				if resp.Headers["X-Request-Id"] != reqID {
					t.Errorf("X-Request-Id = %q", resp.Headers["X-Request-Id"])
				}
				if !strings.Contains(resp.Headers["Server-Timing"], "total;dur=6.5") {
					t.Errorf("Server-Timing not passed on: %q", resp.Headers["Server-Timing"])
				}
			} else {
				got = decoded(t, out)
			}
			// The body carries the server's timings too (a direct
			// invocation has no headers).
			if st, _ := got["server_timing"].(string); !strings.Contains(st, "total;dur=6.5") {
				t.Errorf("server_timing = %v, want the server's Server-Timing header", got["server_timing"])
			}
			delete(got, "server_timing")
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
			wantReq := []seenRequest{{
				Method: "POST", Path: "/images", ContentType: "application/json",
				IdempotencyKey: reqID, RequestID: reqID, Body: `{"image_url":"` + imageURL + `"}`,
			}}
			if d := cmp.Diff(wantReq, srv.requests()); d != "" {
				t.Errorf("requests to the server (-want +got):\n%s", d)
			}
		})
	}
}

func TestInvalidEvents(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		http    bool
		status  int // proxy status for HTTP events
		msg     string
	}{
		{"not JSON", `image please`, false, 0, "not a JSON object"},
		{"JSON array", `[{"image_url":"x"}]`, false, 0, "not a JSON object"},
		{"JSON string", `"https://origin.example/a.png"`, false, 0, "not a JSON object"},
		{"null", `null`, false, 0, "unrecognised event"},
		{"empty object", `{}`, false, 0, "unrecognised event"},
		{"other field", `{"url":"https://origin.example/a.png"}`, false, 0, "unrecognised event"},
		{"S3 event", `{"Records":[{"eventSource":"aws:s3"}]}`, false, 0, "unrecognised event"},
		{"REST API v1 event", `{"resource":"/","httpMethod":"POST","requestContext":{"stage":"prod"},"body":"{\"image_url\":\"https://origin.example/a.png\"}"}`, false, 0, "unrecognised event"},
		{"image_url number", `{"image_url":5}`, false, 0, "must be a string"},
		{"image_url empty", `{"image_url":"  "}`, false, 0, "empty"},
		{"image_url null", `{"image_url":null}`, false, 0, ""},
		{"image_url too long", `{"image_url":"https://origin.example/` + strings.Repeat("a", MaxImageURLBytes) + `"}`, false, 0, "longer than"},
		{"URL GET", urlEvent("GET", "", false), true, 405, "method GET not allowed"},
		{"URL empty body", urlEvent("POST", "", false), true, 400, "empty body"},
		{"URL bad base64", strings.Replace(urlEvent("POST", `{"image_url":"x"}`, false), `"isBase64Encoded":false`, `"isBase64Encoded":true`, 1), true, 400, "base64"},
		{"URL body not JSON", urlEvent("POST", `image_url=https://origin.example/a.png`, false), true, 400, "not a JSON object"},
		{"URL body array", urlEvent("POST", `["https://origin.example/a.png"]`, true), true, 400, "not a JSON object"},
		{"URL body without image_url", urlEvent("POST", `{"url":"https://origin.example/a.png"}`, false), true, 400, "no image_url"},
		{"HTTP API body image_url object", httpAPIEvent(`{"image_url":{"href":"x"}}`, false), true, 400, "must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeServer(t, answer(201, "application/json", successBody))
			r, logs := newRelay(t, srv.URL, Options{})
			out := invoke(t, r, "req-1", 5*time.Second, tc.payload)
			var got map[string]any
			if tc.http {
				resp, m := proxyAnswer(t, out)
				got = m
				if resp.StatusCode != tc.status {
					t.Errorf("statusCode = %d, want %d", resp.StatusCode, tc.status)
				}
				if tc.status == 405 && resp.Headers["Allow"] != "POST" {
					t.Errorf("Allow = %q", resp.Headers["Allow"])
				}
			} else {
				got = decoded(t, out)
			}
			got, msg := dropMessage(got)
			if d := cmp.Diff(failureAnswer(apperr.Invalid, "req-1"), got); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
			if !strings.Contains(msg, tc.msg) {
				t.Errorf("message %q does not contain %q", msg, tc.msg)
			}
			if n := len(srv.requests()); n != 0 {
				t.Errorf("server called %d times, want 0", n)
			}
			if !strings.Contains(logs.String(), `"code":"invalid_request"`) {
				t.Errorf("no warning logged: %s", logs)
			}
		})
	}
}

func TestServerFailures(t *testing.T) {
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	hijackClose := func(w http.ResponseWriter, _ *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: use closed
		opts    Options
		code    apperr.Code
		status  int
		msg     string
	}{
		{"unreachable", nil, Options{}, apperr.ServerUnreachable, 502, "could not be reached"},
		{"HTML from a load balancer", answer(502, "text/html", "<html><body>502 Bad Gateway</body></html>"), Options{}, apperr.BadGateway, 502, "status 502"},
		{"plain text 200", answer(200, "text/plain", "ok"), Options{}, apperr.BadGateway, 502, "not a JSON object"},
		{"JSON array", answer(201, "application/json", `[1,2]`), Options{}, apperr.BadGateway, 502, "not a JSON object"},
		{"JSON null", answer(201, "application/json", `null`), Options{}, apperr.BadGateway, 502, "not a JSON object"},
		{"truncated JSON", answer(201, "application/json", `{"status":"succ`), Options{}, apperr.BadGateway, 502, "not a JSON object"},
		{"empty body", answer(204, "application/json", ``), Options{}, apperr.BadGateway, 502, "not a JSON object"},
		{"answer too large", answer(201, "application/json", `{"pad":"`+strings.Repeat("x", 2048)+`"}`), Options{MaxResponseBytes: 1024}, apperr.BadGateway, 502, "larger than 1024 bytes"},
		{"connection closed without answer", hijackClose, Options{}, apperr.BadGateway, 502, "closed the connection"},
		{"slow server, no deadline", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, Options{Timeout: 200 * time.Millisecond}, apperr.ServerTimeout, 504, "within 200ms"},
	}
	for _, tc := range tests {
		for _, isHTTP := range []bool{false, true} {
			name := tc.name + "/direct"
			payload := `{"image_url":"` + imageURL + `"}`
			if isHTTP {
				name = tc.name + "/function URL"
				payload = urlEvent("POST", payload, false)
			}
			t.Run(name, func(t *testing.T) {
				base := closed
				if tc.handler != nil {
					base = newFakeServer(t, tc.handler).URL
				}
				r, logs := newRelay(t, base, tc.opts)
				ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-2"})
				b, err := r.Invoke(ctx, []byte(payload))
				if err != nil {
					t.Fatal(err)
				}
				var got map[string]any
				if isHTTP {
					resp, m := proxyAnswer(t, b)
					got = m
					if resp.StatusCode != tc.status {
						t.Errorf("statusCode = %d, want %d", resp.StatusCode, tc.status)
					}
				} else {
					got = decoded(t, b)
				}
				got, msg := dropMessage(got)
				if d := cmp.Diff(failureAnswer(tc.code, "req-2"), got); d != "" {
					t.Errorf("answer (-want +got):\n%s", d)
				}
				if !strings.Contains(msg, tc.msg) {
					t.Errorf("message %q does not contain %q", msg, tc.msg)
				}
				if strings.Contains(msg, "127.0.0.1") {
					t.Errorf("message leaks the server address: %q", msg)
				}
				if !strings.Contains(logs.String(), `"code":"`+string(tc.code)+`"`) {
					t.Errorf("failure not logged with its code: %s", logs)
				}
			})
		}
	}
}

// TestDeadline: a server slower than the invocation's deadline gives
// server_timeout before the deadline, with the margin kept back.
func TestDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name      string
		deadline  time.Duration
		margin    time.Duration
		wantAfter time.Duration // the server call gives up no sooner than this
	}{
		{"margin kept", 1500 * time.Millisecond, 500 * time.Millisecond, 900 * time.Millisecond},
		{"short deadline: half", 400 * time.Millisecond, 500 * time.Millisecond, 150 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newRelay(t, srv.URL, Options{Margin: tc.margin})
			start := time.Now()
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-3"})
			ctx, cancel := context.WithTimeout(ctx, tc.deadline)
			defer cancel()
			b, err := r.Invoke(ctx, []byte(`{"image_url":"`+imageURL+`"}`))
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Errorf("answered after the deadline (%s)", took)
			}
			if took < tc.wantAfter {
				t.Errorf("gave up after %s, want at least %s", took, tc.wantAfter)
			}
			got, _ := dropMessage(decoded(t, b))
			if d := cmp.Diff(failureAnswer(apperr.ServerTimeout, "req-3"), got); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
		})
	}

	t.Run("deadline already passed", func(t *testing.T) {
		r, _ := newRelay(t, srv.URL, Options{})
		before := len(srv.requests())
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		b, _ := r.Invoke(ctx, []byte(`{"image_url":"`+imageURL+`"}`))
		got, msg := dropMessage(decoded(t, b))
		if d := cmp.Diff(failureAnswer(apperr.ServerTimeout, ""), got); d != "" {
			t.Errorf("answer (-want +got):\n%s", d)
		}
		if !strings.Contains(msg, "no time left") {
			t.Errorf("message = %q", msg)
		}
		if n := len(srv.requests()) - before; n != 0 {
			t.Errorf("server called %d times, want 0", n)
		}
	})
}

// TestKeepAlive: invocations reuse the relay's connection.
func TestKeepAlive(t *testing.T) {
	srv := newFakeServer(t, answer(201, "application/json", successBody))
	r, _ := newRelay(t, srv.URL, Options{})
	for i := range 5 {
		invoke(t, r, "req-"+string(rune('a'+i)), 5*time.Second, `{"image_url":"`+imageURL+`"}`)
	}
	if n := srv.connections(); n != 1 {
		t.Errorf("%d connections for 5 invocations, want 1", n)
	}
	var keys []string
	for _, rq := range srv.requests() {
		keys = append(keys, rq.IdempotencyKey)
	}
	if d := cmp.Diff([]string{"req-a", "req-b", "req-c", "req-d", "req-e"}, keys); d != "" {
		t.Errorf("Idempotency-Key per invocation (-want +got):\n%s", d)
	}
}

// TestNoLambdaContext: outside the runtime there is no request id, so no
// Idempotency-Key is invented.
func TestNoLambdaContext(t *testing.T) {
	srv := newFakeServer(t, answer(201, "application/json", successBody))
	r, _ := newRelay(t, srv.URL, Options{})
	b, err := r.Invoke(context.Background(), []byte(`{"image_url":"`+imageURL+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := decoded(t, b)["request_id"]; got != "" {
		t.Errorf("request_id = %v", got)
	}
	if reqs := srv.requests(); len(reqs) != 1 || reqs[0].IdempotencyKey != "" {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestServerBasePath(t *testing.T) {
	srv := newFakeServer(t, answer(201, "application/json", successBody))
	r, _ := newRelay(t, srv.URL+"/prefix/", Options{})
	if want := srv.URL + "/prefix/images"; r.Endpoint() != want {
		t.Errorf("Endpoint = %q, want %q", r.Endpoint(), want)
	}
	invoke(t, r, "req-4", 5*time.Second, `{"image_url":"`+imageURL+`"}`)
	if reqs := srv.requests(); len(reqs) != 1 || reqs[0].Path != "/prefix/images" {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestParseServerURL(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"http://10.0.1.10:8080", "http://10.0.1.10:8080", ""},
		{"https://internal-alb.example", "https://internal-alb.example", ""},
		{"", "", "empty"},
		{"10.0.1.10:8080", "", "not an absolute http(s) URL"},
		{"ftp://host", "", "scheme"},
		{"http://", "", "no host"},
		{"http://:8080", "", "no host"},
		{"http://u:p@host", "", "credentials"},
		{"http://host/?a=b", "", "query"},
		{"http://host/#x", "", "fragment"},
		{"http://host\x7f", "", "not an absolute http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			u, err := ParseServerURL(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || apperr.CodeOf(err) != apperr.InvalidConfig {
					t.Fatalf("err = %v, want invalid_config containing %q", err, tc.err)
				}
				return
			}
			if err != nil || u.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	u, _ := url.Parse("http://h")
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name   string
		u      *url.URL
		client *http.Client
		log    *slog.Logger
		opts   Options
	}{
		{"no URL", nil, http.DefaultClient, log, Options{}},
		{"no client", u, nil, log, Options{}},
		{"no logger", u, http.DefaultClient, nil, Options{}},
		{"negative margin", u, http.DefaultClient, log, Options{Margin: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.u, tc.client, tc.log, tc.opts); apperr.CodeOf(err) != apperr.InvalidConfig {
				t.Errorf("err = %v, want invalid_config", err)
			}
		})
	}
}

func TestLogRedactsQuery(t *testing.T) {
	srv := newFakeServer(t, answer(201, "application/json", successBody))
	r, logs := newRelay(t, srv.URL, Options{})
	invoke(t, r, "req-5", 5*time.Second, `{"image_url":"https://user:pw@origin.example/a.png?X-Amz-Signature=secret#frag"}`)
	s := logs.String()
	for _, leak := range []string{"secret", "pw@", "frag"} {
		if strings.Contains(s, leak) {
			t.Errorf("log leaks %q: %s", leak, s)
		}
	}
	if !strings.Contains(s, `"image_url":"https://origin.example/a.png?REDACTED"`) || !strings.Contains(s, `"request_id":"req-5"`) {
		t.Errorf("log line lacks the redacted URL or request id: %s", s)
	}
}

// TestTooManyRequestsPassesThrough: a full server's 429 reaches the caller
// as 429 too_many_requests with the server's Retry-After, as a header of a
// function URL answer and as retry_after_s in the body.
func TestTooManyRequestsPassesThrough(t *testing.T) {
	busy := failureBody(apperr.TooManyRequests, "all 8 ingest slots of this instance are busy; retry later")
	srv := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, busy)
	})
	r, _ := newRelay(t, srv.URL, Options{})
	body := `{"image_url":"` + imageURL + `"}`
	resp, got := proxyAnswer(t, invoke(t, r, "req-429", 5*time.Second, urlEvent("POST", body, false)))
	if resp.StatusCode != 429 || resp.Headers["Retry-After"] != "1" {
		t.Errorf("status %d Retry-After %q, want 429 and 1", resp.StatusCode, resp.Headers["Retry-After"])
	}
	if e, _ := got["error"].(map[string]any); e["code"] != "too_many_requests" || got["retry_after_s"] != 1.0 {
		t.Errorf("body %v", got)
	}
	direct := decoded(t, invoke(t, r, "req-429b", 5*time.Second, body))
	if direct["retry_after_s"] != 1.0 {
		t.Errorf("direct answer %v, want retry_after_s 1", direct)
	}
}
