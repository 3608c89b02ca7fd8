package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ssrf"
)

// NewTransport is the fetch transport: every connection is dialled through
// g (so redirects and DNS answers are checked on the address actually
// dialled), no proxy from the environment (a proxy would be the address
// dialled), no transparent decompression (the bytes stored are the bytes
// sent).
func NewTransport(g *ssrf.Guard) *http.Transport {
	d := g.Dialer()
	d.Timeout = 5 * time.Second
	d.KeepAlive = 30 * time.Second
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 0, // the request context bounds it
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       60 * time.Second,
		DisableCompression:    true,
	}
}

var errTooManyRedirects = fmt.Errorf("more than %d redirects", MaxRedirects)

// redirectError is a redirect the fetch refuses to follow.
type redirectError string

func (e redirectError) Error() string { return string(e) }

// checkRedirect follows at most MaxRedirects redirects to http(s) URLs
// whose host and port pass g; the dial check still applies to each. Once a
// hop was https, later ones must be too. No Referer is sent.
func checkRedirect(g *ssrf.Guard) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		req.Header.Del("Referer")
		if len(via) > MaxRedirects {
			return errTooManyRedirects
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return redirectError(fmt.Sprintf("redirect to unsupported scheme %q", req.URL.Scheme))
		}
		if req.URL.User != nil {
			return redirectError("redirect to a URL with credentials")
		}
		if req.URL.Scheme == "http" {
			for _, v := range via {
				if v.URL.Scheme == "https" {
					return redirectError("redirect from https to http")
				}
			}
		}
		if err := g.CheckHost(req.URL.Hostname()); err != nil {
			return err
		}
		return g.CheckPort(urlPort(req.URL))
	}
}

// urlPort is u's port, or its scheme's default.
func urlPort(u *url.URL) int {
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

// Client messages that must not vary with what lies behind a destination.
const (
	msgBlocked     = "image_url's destination is not allowed"
	msgUnreachable = "the origin could not be reached"
)

func blocked(op string, err error) error {
	return &apperr.Error{Code: apperr.BlockedDestination, Op: op, Message: msgBlocked, Err: err}
}

// checkURL validates a client-supplied image URL and returns it in
// canonical form.
func (s *Service) checkURL(raw string) (string, error) {
	const op = "ingest.Put"
	if raw == "" {
		return "", apperr.Errorf(apperr.Invalid, op, "image_url is required")
	}
	if len(raw) > MaxURLLength {
		return "", apperr.Errorf(apperr.Invalid, op, "image_url is longer than %d bytes", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", apperr.Errorf(apperr.Invalid, op, "image_url is not a URL")
	}
	if err := CheckURLShape(u); err != nil {
		return "", apperr.E(apperr.Invalid, op, err)
	}
	if err := s.cfg.Guard.CheckHost(u.Hostname()); err != nil {
		return "", blocked(op, err)
	}
	if err := s.cfg.Guard.CheckPort(urlPort(u)); err != nil {
		return "", blocked(op, err)
	}
	return u.String(), nil
}

// CheckURLShape reports why u cannot be an image URL: not absolute http(s),
// no host, credentials, a bad port. Destinations are checked separately.
func CheckURLShape(u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		if u.Scheme == "" {
			return errors.New("image_url must be an absolute http or https URL")
		}
		return fmt.Errorf("image_url scheme %q is not http or https", u.Scheme)
	case u.Opaque != "":
		return errors.New("image_url is not a hierarchical URL")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("image_url has no host")
	case u.User != nil:
		return errors.New("image_url must not carry credentials")
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 || strings.TrimLeft(p, "0123456789") != "" {
			return fmt.Errorf("image_url port %q is invalid", p)
		}
	}
	return nil
}

// fetch GETs u and returns a 2xx response whose body reads count into m.
func (s *Service) fetch(ctx context.Context, u string, m *meter) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "image/png, image/jpeg, image/gif, image/webp, image/*;q=0.8")
	req.Header.Set("User-Agent", "twinstack-ingest/1")
	m.begin()
	resp, err := s.client.Do(req)
	m.end(0)
	if err != nil {
		return nil, err
	}
	resp.Body = meteredBody{resp.Body, m}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, &statusError{code: resp.StatusCode, status: resp.Status}
	}
	return resp, nil
}

type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return "origin answered " + e.status }

// originErr classifies a failed fetch. ctx is the request's context, dctx
// the download's.
func (s *Service) originErr(ctx, dctx context.Context, err error) error {
	const op = "ingest.Put"
	var se *statusError
	switch {
	case errors.Is(err, ssrf.ErrBlocked):
		return blocked(op, err)
	case errors.As(err, &se):
		return apperr.E(apperr.OriginError, op, se)
	case errors.Is(err, errTooManyRedirects):
		return apperr.E(apperr.OriginError, op, errTooManyRedirects)
	case errors.As(err, new(redirectError)):
		var re redirectError
		errors.As(err, &re)
		return &apperr.Error{Code: apperr.OriginError, Op: op, Message: "fetching the image failed: " + re.Error(), Err: err}
	case errors.Is(context.Cause(dctx), errTooSlow):
		return s.slowErr(op)
	case unreachable(err):
		// One wording for every origin not reached (refused, filtered,
		// unknown name, TLS): the answer must not map a network.
		return &apperr.Error{Code: apperr.OriginError, Op: op, Message: msgUnreachable, Err: err}
	case isTimeout(ctx, dctx, err):
		return apperr.Errorf(apperr.OriginTimeout, op, "origin did not answer within %s", s.cfg.DownloadTimeout)
	default:
		return &apperr.Error{Code: apperr.OriginError, Op: op, Message: msgUnreachable, Err: err}
	}
}

// readErr classifies a failure while the body streams.
func (s *Service) readErr(ctx, dctx context.Context, src *source, err error) error {
	const op = "ingest.Put"
	if src != nil && src.err != nil {
		err = src.err
	}
	switch {
	case errors.Is(err, errTooLarge):
		return apperr.Errorf(apperr.TooLarge, op, "image is over the limit of %d bytes", s.cfg.MaxBytes)
	case errors.Is(context.Cause(dctx), errTooSlow):
		return s.slowErr(op)
	case isTimeout(ctx, dctx, err):
		return apperr.Errorf(apperr.OriginTimeout, op, "origin did not send the image within %s", s.cfg.DownloadTimeout)
	default:
		return &apperr.Error{Code: apperr.OriginError, Op: op, Message: "reading the image failed: " + originReason(err), Err: err}
	}
}

// unreachable reports a failure to reach the origin at all: the dial
// (refused, filtered, timed out), the name lookup or the TLS handshake.
func unreachable(err error) bool {
	var oe *net.OpError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	return errors.As(err, &oe) && oe.Op == "dial" || errors.As(err, &dnsErr) || errors.As(err, &certErr) || errors.As(err, &recErr)
}

func (s *Service) slowErr(op string) error {
	return &apperr.Error{Code: apperr.OriginTimeout, Op: op, Err: errTooSlow,
		Message: fmt.Sprintf("origin sent the image slower than %d bytes/s; cut off", s.cfg.MinDownloadRate)}
}

func isTimeout(ctx, dctx context.Context, err error) bool {
	if ctx.Err() == nil && errors.Is(dctx.Err(), context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// originReason is a short, client-safe description of a failure while
// the body streams (the origin was reached).
func originReason(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "request cancelled"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed early"
	default:
		return "transport error"
	}
}
