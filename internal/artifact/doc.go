// Package artifact builds the deployable artifacts that both stacks ship,
// reproducibly: the same sources and toolchain give the same bytes, so the
// stacks' asset hashes only change when the code does.
//
// For the Lambda it runs `go build` of the lambda main package for
// linux/<arch> (CGO off, -tags lambda.norpc, -trimpath, -ldflags "-s -w",
// -buildvcs=false, the architecture level pinned) into a temporary directory
// and writes a zip holding one file, bootstrap, with a fixed timestamp and
// mode 0755. WriteZip is the reproducible zip writer on its own.
//
// It runs the go command and writes files; it must not import the server,
// the stacks or the AWS SDK, and it reads no settings of its own: callers
// pass paths and the architecture.
package artifact
