package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinstack/twinstack/internal/apperr"
)

// Context keys.
const (
	ctxLogger     = "twinstack.logger"
	ctxRequestID  = "twinstack.request_id"
	ctxErrorCode  = "twinstack.error_code"
	ctxErrorCause = "twinstack.error_cause"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

// HeaderInstanceID names the server that answered (Config.InstanceID).
const HeaderInstanceID = "X-Instance-Id"

// logger is the request's logger (with its request id), or base.
func logger(c echo.Context, base *slog.Logger) *slog.Logger {
	if l, ok := c.Get(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return base
}

// validRequestID accepts client ids of 1-128 characters from a safe set,
// so that they can be logged and echoed verbatim.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// metricMethod bounds the method label: the methods HTTP defines, else
// "other" (a client may send any token as a method).
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}

// observe is the outermost middleware: it assigns the request id, gives
// the request a logger carrying it, writes errors through the error
// handler, then records metrics and one access log line.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := s.now()
		req := c.Request()
		id := req.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(HeaderRequestID, id)
		if s.cfg.InstanceID != "" {
			c.Response().Header().Set(HeaderInstanceID, s.cfg.InstanceID)
		}
		log := s.log.With("request_id", id)
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, log)

		s.metrics.inFlight.Inc()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.metrics.inFlight.Dec()

		route := c.Path()
		if !s.routes[req.Method+" "+route] {
			route = "unmatched" // bounded label values
		}
		status := c.Response().Status
		elapsed := s.now().Sub(start)
		method := metricMethod(req.Method)
		s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())

		attrs := []any{
			"method", req.Method, "route", route, "path", req.URL.Path, "status", status,
			"duration_ms", float64(elapsed.Microseconds()) / 1000, "bytes_out", c.Response().Size,
			"remote", c.RealIP(),
		}
		level := slog.LevelInfo
		if code, ok := c.Get(ctxErrorCode).(apperr.Code); ok {
			attrs = append(attrs, "code", string(code))
		}
		if cause, ok := c.Get(ctxErrorCause).(error); ok {
			attrs = append(attrs, "err", cause.Error())
			// The client saw a generic message; the log keeps the detail
			// (a blocked address, a transport error) with the request id.
			var ae *apperr.Error
			if errors.As(cause, &ae) && ae.Message != "" && ae.Err != nil && ae.Err.Error() != ae.Message {
				attrs = append(attrs, "cause", ae.Err.Error())
			}
		}
		if status >= 500 {
			level = slog.LevelWarn
		}
		if route == "/healthz" || route == "/metrics" {
			level = slog.LevelDebug
		}
		log.Log(req.Context(), level, "request", attrs...)
		return nil
	}
}
