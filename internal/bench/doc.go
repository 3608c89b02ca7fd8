// Package bench drives open-loop load at twinstack's deployments and
// summarises what it measured.
//
// Requests go out on a schedule fixed in advance (a constant rate, optionally
// in short slices that alternate between deployments), whether or not
// earlier requests have answered: a slow target shows up as latency, never
// as fewer requests (no coordinated omission). The load itself is
// github.com/tsenart/vegeta/v12 used as a library; latency percentiles come
// from github.com/HdrHistogram/hdrhistogram-go.
//
// Targets are reached over HTTP only: the server's POST /images, the Lambda
// emulator's invoke API, or a real Lambda function URL signed with SigV4.
// Each answer is reduced to a Record: schedule, latency, status, error code
// and the server's own timing breakdown.
//
// This package must not import the server, the Lambda, the local cloud or
// any report format: it returns plain values that internal/report renders.
package bench
