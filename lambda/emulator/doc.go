// Package emulator runs a Lambda bootstrap under the AWS Lambda Runtime
// Interface Emulator (aws-lambda-rie, installed by `make rie`) on loopback
// ports and invokes it over the emulator's HTTP API
// (POST /2015-03-31/functions/function/invocations), the way the function
// runs in AWS: the emulator serves the Runtime API, execs the bootstrap with
// AWS_LAMBDA_RUNTIME_API set, initialises it on the first invocation and
// reports each invocation's duration (the REPORT lines, with Init Duration on
// the first), which Reports returns parsed.
//
// It exists for the Lambda's integration tests and for local runs of the
// function. The emulator runs in its own process group and Stop ends that
// group (the emulator and the bootstrap it started) by PID, never by name.
// The emulator handles one invocation at a time; Invoke serialises callers.
//
// It uses the standard library only and must not import the relay or the
// server: the function under test is a binary.
package emulator
