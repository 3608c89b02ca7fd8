// Package demo is the main job of the project as one program: `twinstack
// demo` brings both deployments up on the local cloud, verifies them, sends
// an image through each via the Lambda and via the server, checks
// consistency, compares the two synths, runs a short benchmark, takes
// everything down and prints a summary.
//
// Each step is a twinstack subcommand run as its own process (Runner), so a
// step that crashes or hangs cannot take the others with it, and `local
// down` runs at the end whatever happened before, even after an interrupt.
// The summary is printed from structured results, never from scraped
// output: the verify counts come from `twinstack verify --format json`, the
// synth, deploy and destroy times from the local cloud's timings file
// (internal/state). The same summary is written as JSON (Summary).
//
// It imports internal/state and internal/apperr only: it knows the
// subcommands by their flags, not by their packages, and must not import the
// local cloud, verify, bench or cmd/.
package demo
