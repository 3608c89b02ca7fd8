package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/twinstack/twinstack/internal/apperr"
)

// Defaults of Options.
const (
	DefaultMargin           = 500 * time.Millisecond
	DefaultTimeout          = 30 * time.Second
	DefaultMaxResponseBytes = 1 << 20
)

// MaxImageURLBytes bounds the image URL the Lambda forwards; the server
// checks everything else about it.
const MaxImageURLBytes = 8 << 10

// Options tune a Relay. A zero field takes its default.
type Options struct {
	// Margin is kept back from the invocation's deadline so that the
	// function still answers after giving up on the server. When less than
	// twice the margin is left, the server gets half of what is left.
	Margin time.Duration
	// Timeout bounds the server call when the context has no deadline
	// (outside the Lambda runtime).
	Timeout time.Duration
	// MaxResponseBytes bounds how much of the server's answer is read.
	MaxResponseBytes int64
}

// Relay forwards image URLs to the server. It is safe for concurrent use;
// build one at init and reuse it (and its HTTP client's connections) across
// invocations.
type Relay struct {
	endpoint string
	client   *http.Client
	log      *slog.Logger
	opts     Options
}

// ParseServerURL checks the server's base URL: absolute http or https, a
// host, no query, fragment or credentials.
func ParseServerURL(s string) (*url.URL, error) {
	const op = "relay.ParseServerURL"
	u, err := url.Parse(s)
	switch {
	case s == "":
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "empty server URL")
	case err != nil:
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "not an absolute http(s) URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "scheme %q: want http or https", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "no host")
	case u.User != nil:
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "credentials in the URL are not supported")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "query or fragment: want a base URL such as http://10.0.1.10:8080")
	}
	return u, nil
}

// NewHTTPClient returns the client a Relay should use: keep-alive
// connections to the one server, no proxy (the server sits in the same VPC),
// no redirects followed. Per-call timeouts come from the invocation's
// deadline, not from the client.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			MaxIdleConns:          16,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// New returns a Relay that posts to serverURL + "/images" with client.
func New(serverURL *url.URL, client *http.Client, log *slog.Logger, opts Options) (*Relay, error) {
	const op = "relay.New"
	switch {
	case serverURL == nil:
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "no server URL")
	case client == nil:
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "no HTTP client")
	case log == nil:
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "no logger")
	case opts.Margin < 0 || opts.Timeout < 0 || opts.MaxResponseBytes < 0:
		return nil, apperr.Errorf(apperr.InvalidConfig, op, "negative option")
	}
	if opts.Margin == 0 {
		opts.Margin = DefaultMargin
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxResponseBytes == 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return &Relay{
		endpoint: serverURL.JoinPath("images").String(),
		client:   client,
		log:      log,
		opts:     opts,
	}, nil
}

// Endpoint is the URL the Relay posts to.
func (r *Relay) Endpoint() string { return r.endpoint }

// Invoke handles one invocation. It implements lambda.Handler. The error is
// always nil: failures are answers (see the package documentation).
func (r *Relay) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	reqID := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		reqID = lc.AwsRequestID
	}
	ev, err := decodeEvent(payload)
	var out outcome
	if err != nil {
		out = failed(err)
	} else {
		out = r.call(ctx, reqID, ev.imageURL)
	}
	total := time.Since(start)
	body := out.body(reqID, total)
	r.logOutcome(ctx, reqID, ev, out, total)
	if !ev.http {
		return body, nil
	}
	headers := map[string]string{"Content-Type": "application/json"}
	if reqID != "" {
		headers["X-Request-Id"] = reqID
	}
	if out.serverTiming != "" {
		headers["Server-Timing"] = out.serverTiming
	}
	if out.retryAfter > 0 {
		headers["Retry-After"] = strconv.Itoa(out.retryAfter)
	}
	if ev.badMethod {
		headers["Allow"] = http.MethodPost
	}
	return json.Marshal(events.LambdaFunctionURLResponse{
		StatusCode: out.status,
		Headers:    headers,
		Body:       string(body),
		Cookies:    []string{},
	})
}

// outcome is what one invocation produced: the server's JSON object and
// status, or a failure of the Lambda's own.
type outcome struct {
	status       int
	fields       map[string]json.RawMessage // the server's answer; nil for own failures
	code         apperr.Code                // own failures only
	message      string
	cause        error // logged, never shown
	serverTiming string
	retryAfter   int // seconds, from a 429's Retry-After; 0 when none
	server       time.Duration
}

func failed(err error) outcome {
	code := apperr.CodeOf(err)
	return outcome{status: statusOf(err), code: code, message: apperr.MessageOf(err), cause: err}
}

// statusOf is the one table from the Lambda's own failures to the status of
// a function URL answer.
func statusOf(err error) int {
	if errors.Is(err, errMethod) {
		return http.StatusMethodNotAllowed
	}
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.ServerTimeout:
		return http.StatusGatewayTimeout
	case apperr.ServerUnreachable, apperr.BadGateway:
		return http.StatusBadGateway
	default:
		return http.StatusInternalServerError
	}
}

// body is the JSON answer: the server's object (or the failure object) plus
// request_id, server_ms and total_ms, and the server's Server-Timing header
// as server_timing when it sent one (a direct invocation has no headers, and
// the benchmark reads where the server's time went from it). Keys come out
// sorted.
func (o outcome) body(reqID string, total time.Duration) []byte {
	fields := make(map[string]any, len(o.fields)+3)
	if o.fields != nil {
		for k, v := range o.fields {
			fields[k] = v
		}
	} else {
		fields["status"] = "failure"
		fields["error"] = failureError{Code: o.code, Message: o.message}
	}
	fields["request_id"] = reqID
	fields["server_ms"] = millis(o.server)
	fields["total_ms"] = millis(total)
	if o.fields != nil && o.serverTiming != "" {
		fields["server_timing"] = o.serverTiming
	}
	if o.retryAfter > 0 {
		fields["retry_after_s"] = o.retryAfter
	}
	b, err := json.Marshal(fields)
	if err != nil {
		// Every value is a RawMessage that was checked to be valid JSON or
		// a plain Go value; this cannot happen.
		return []byte(`{"status":"failure","error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	return b
}

// failureError is the "error" member of a failure answer, shaped like the
// server's.
type failureError struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
}

// millis is d in milliseconds with microsecond resolution.
func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// call posts the image URL to the server within the invocation's budget.
func (r *Relay) call(ctx context.Context, reqID, imageURL string) outcome {
	const op = "relay.call"
	budget := r.budget(ctx)
	if budget <= 0 {
		return failed(apperr.Errorf(apperr.ServerTimeout, op, "no time left before the invocation deadline"))
	}
	cctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	payload, err := json.Marshal(imageRequest{ImageURL: imageURL})
	if err != nil {
		return failed(apperr.E(apperr.Internal, op, err))
	}
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, r.endpoint, bytes.NewReader(payload))
	if err != nil {
		return failed(apperr.E(apperr.Internal, op, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if reqID != "" {
		req.Header.Set("Idempotency-Key", reqID)
		req.Header.Set("X-Request-Id", reqID)
	}

	sent := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		out := failed(callError(op, err, budget))
		out.server = time.Since(sent)
		return out
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.opts.MaxResponseBytes+1))
	elapsed := time.Since(sent)
	var out outcome
	switch {
	case err != nil:
		out = failed(readError(op, err, budget))
	case int64(len(data)) > r.opts.MaxResponseBytes:
		out = failed(apperr.Errorf(apperr.BadGateway, op, "the server's answer (status %d) is larger than %d bytes", resp.StatusCode, r.opts.MaxResponseBytes))
	default:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
			out = failed(apperr.Errorf(apperr.BadGateway, op, "the server answered status %d with a body that is not a JSON object", resp.StatusCode))
		} else {
			out = outcome{status: resp.StatusCode, fields: fields}
		}
	}
	out.server = elapsed
	out.serverTiming = resp.Header.Get("Server-Timing")
	if resp.StatusCode == http.StatusTooManyRequests {
		// The server is full: the caller is told when to come back.
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 && n <= 3600 {
			out.retryAfter = n
		}
	}
	return out
}

// budget is how long the server call may take: what is left before the
// deadline less the margin, but at least half of what is left.
func (r *Relay) budget(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return r.opts.Timeout
	}
	left := time.Until(deadline)
	if left <= 0 {
		return 0
	}
	return max(left-r.opts.Margin, left/2)
}

// callError classifies a failed request: anything that ran out of time is
// server_timeout, a connection closed before any answer is bad_gateway,
// anything else (refused, no route, DNS) is server_unreachable. The message
// shown to callers names no address; the cause is logged.
func callError(op string, err error, budget time.Duration) error {
	switch {
	case isTimeout(err):
		return timeoutError(op, err, budget)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &apperr.Error{Code: apperr.BadGateway, Op: op, Message: "the server closed the connection without answering", Err: err}
	default:
		return &apperr.Error{Code: apperr.ServerUnreachable, Op: op, Message: "the server could not be reached", Err: err}
	}
}

// readError classifies a failure while reading the server's answer.
func readError(op string, err error, budget time.Duration) error {
	if isTimeout(err) {
		return timeoutError(op, err, budget)
	}
	return &apperr.Error{Code: apperr.BadGateway, Op: op, Message: "the server's answer broke off", Err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || (errors.As(err, &ne) && ne.Timeout())
}

func timeoutError(op string, err error, budget time.Duration) error {
	return &apperr.Error{Code: apperr.ServerTimeout, Op: op, Message: fmt.Sprintf("the server did not answer within %s", budget.Round(time.Millisecond)), Err: err}
}

func (r *Relay) logOutcome(ctx context.Context, reqID string, ev event, out outcome, total time.Duration) {
	attrs := []slog.Attr{
		slog.String("request_id", reqID),
		slog.String("event", ev.kind()),
		slog.Int("status", out.status),
		slog.Float64("server_ms", millis(out.server)),
		slog.Float64("total_ms", millis(total)),
	}
	if ev.imageURL != "" {
		attrs = append(attrs, slog.Any("image_url", redactedURL(ev.imageURL)))
	}
	level := slog.LevelInfo
	if out.fields == nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("code", string(out.code)))
		if out.cause != nil {
			attrs = append(attrs, slog.String("err", out.cause.Error()))
		}
	} else if raw, ok := out.fields["error"]; ok {
		var fe failureError
		if json.Unmarshal(raw, &fe) == nil && fe.Code != "" {
			attrs = append(attrs, slog.String("code", string(fe.Code)))
		}
	}
	r.log.LogAttrs(ctx, level, "invocation", attrs...)
}

// redactedURL logs an image URL without its query, fragment or credentials
// (presigned URLs carry their signature in the query).
type redactedURL string

func (s redactedURL) LogValue() slog.Value {
	u, err := url.Parse(string(s))
	if err != nil {
		return slog.StringValue("(unparseable)")
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.Fragment = ""
	return slog.StringValue(u.String())
}
