// Package server is the HTTP face of twinstack on EC2: Echo routes for
// image ingest (POST/GET /images…), the albums API, health, readiness,
// Prometheus metrics and the OpenAPI document.
//
// It decodes and validates requests, calls the services it declares
// interfaces for (Images, Albums), and turns every failure into
// {"status":"failure","error":{"code","message"}} through one table from
// apperr codes to HTTP statuses (StatusOf); internal errors reach the
// client as a fixed message quoting the request id, their cause only the
// log, and a 429 carries Retry-After. Every request gets an id
// (X-Request-Id, echoed or generated) carried by every log line; logs are
// slog JSON. Run serves until its context ends, then drains in-flight
// requests within a bound.
//
// Build wires the real AWS clients into ingest and albums from a
// config.Serve. The package imports ingest, albums, ssrf and apperr; it
// must not import cmd/ or the stacks.
package server
