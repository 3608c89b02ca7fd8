package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/twinstack/twinstack/internal/apperr"
)

// StatusOf is the one table from error codes to HTTP statuses (500 for
// codes the server never produces).
func StatusOf(c apperr.Code) int {
	switch c {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.BlockedDestination:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.TooManyRequests:
		return http.StatusTooManyRequests
	case apperr.NotAnImage:
		return http.StatusUnprocessableEntity
	case apperr.Unsupported:
		return http.StatusNotImplemented
	case apperr.OriginError:
		return http.StatusBadGateway
	case apperr.StorageUnavailable:
		return http.StatusServiceUnavailable
	case apperr.OriginTimeout:
		return http.StatusGatewayTimeout
	default: // apperr.Internal and codes of other transports
		return http.StatusInternalServerError
	}
}

// RetryAfter is the Retry-After of a 429, in seconds: about one short
// ingest.
const RetryAfter = "1"

// Failure is the body of every failed request.
type Failure struct {
	Status string       `json:"status"` // "failure"
	Error  FailureError `json:"error"`
}

// FailureError is the error part of a Failure.
type FailureError struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
}

// classify maps any error to a code, status and client-safe message.
func classify(err error) (apperr.Code, int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return apperr.NotFound, he.Code, "no such route"
		case http.StatusMethodNotAllowed:
			return apperr.Invalid, he.Code, "method not allowed"
		case http.StatusRequestEntityTooLarge:
			return apperr.TooLarge, he.Code, "request body too large"
		}
		if he.Code >= 400 && he.Code < 500 {
			return apperr.Invalid, he.Code, http.StatusText(he.Code)
		}
		return apperr.Internal, http.StatusInternalServerError, "internal error"
	}
	code := apperr.CodeOf(err)
	return code, StatusOf(code), apperr.MessageOf(err)
}

// handleError writes err as a Failure; it is Echo's HTTPErrorHandler.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, status, msg := classify(err)
	c.Set(ctxErrorCode, code)
	if code == apperr.Internal {
		// The cause stays in the log; the client gets the request id.
		logger(c, s.log).Error("internal error", "err", err)
		msg = "internal error; quote request id " + c.Response().Header().Get(HeaderRequestID)
	} else {
		c.Set(ctxErrorCause, err)
	}
	if code == apperr.TooManyRequests {
		c.Response().Header().Set("Retry-After", RetryAfter)
	}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(status)
	} else {
		werr = c.JSON(status, Failure{Status: "failure", Error: FailureError{Code: code, Message: msg}})
	}
	if werr != nil {
		logger(c, s.log).Warn("write error response", "err", werr)
	}
}
