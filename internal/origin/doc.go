// Package origin is the local image origin: an HTTP server that serves sample
// images the project generates itself (PNG, JPEG, GIF and WebP in a few
// sizes), so that `twinstack invoke`, the benchmark and the end-to-end test
// have something real to download without the internet.
//
// Images are generated deterministically from a seed-free pattern: the same
// name always gives the same bytes. It uses the standard library only (the
// WebP encoder is a small lossless VP8L writer of its own) and must not
// import the server or anything AWS.
package origin
