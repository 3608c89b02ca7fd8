// Package apperr gives every failure in twinstack a stable, machine-readable
// code. Transports map codes to their own vocabulary in one table each: the
// server to HTTP statuses, the CLI to exit statuses, the Lambda to failure
// payloads. It imports nothing of the project so that every package can use it.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a stable error code. Its string form is part of the public API
// (JSON bodies, CLI output): never rename one.
type Code string

const (
	Internal           Code = "internal"
	Invalid            Code = "invalid_request"
	NotFound           Code = "not_found"
	Conflict           Code = "conflict"
	BlockedDestination Code = "blocked_destination"
	TooLarge           Code = "too_large"
	NotAnImage         Code = "not_an_image"
	OriginError        Code = "origin_error"
	OriginTimeout      Code = "origin_timeout"
	StorageUnavailable Code = "storage_unavailable"
	ServerUnreachable  Code = "server_unreachable"
	ServerTimeout      Code = "server_timeout"
	BadGateway         Code = "bad_gateway"
	InvalidConfig      Code = "invalid_config"
	Unsupported        Code = "unsupported"
	TooManyRequests    Code = "too_many_requests"
)

// Error is an error with a code. Op names the operation that failed
// ("ingest.Put"); Message is safe to show to a client; Err is the cause.
type Error struct {
	Code    Code
	Op      string
	Message string
	Err     error
}

// E builds an *Error. The message shown to clients is the cause's text unless
// Message is set later.
func E(code Code, op string, err error) *Error {
	return &Error{Code: code, Op: op, Err: err}
}

// Errorf builds an *Error whose client message is the formatted text.
func Errorf(code Code, op, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Op: op, Message: err.Error(), Err: err}
}

func (e *Error) Error() string {
	msg := e.Msg()
	if e.Op != "" {
		return e.Op + ": " + msg
	}
	return msg
}

// Msg is the text meant for a client: Message, or the cause, or the code.
func (e *Error) Msg() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Err != nil:
		return e.Err.Error()
	default:
		return string(e.Code)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf reports the code of the first *Error in err's chain; foreign errors
// are Internal and nil is "".
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf reports the client-safe message of the first *Error in err's
// chain, or a generic text for foreign errors (whose text may leak internals).
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg()
	}
	if err == nil {
		return ""
	}
	return "internal error"
}
