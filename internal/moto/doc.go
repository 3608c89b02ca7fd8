// Package moto starts and stops moto_server, the local S3/DynamoDB/… protocol
// server twinstack uses as its local cloud, and creates the bucket and the
// two tables of the model in it.
//
// It exists for two callers: tests (StartT, which skips when moto_server is
// missing unless TWINSTACK_REQUIRE_TOOLS=1, and stops the process in
// t.Cleanup) and the CLI (Start with a log file). The process listens on a
// free loopback port and is reached as http://localhost:PORT; Stop kills it
// by its own PID and waits, never by name.
//
// The table schemas come from the model (constructs.New), so tests create
// exactly what the stacks deploy. Production code paths (the server, the
// Lambda) must not import this package.
package moto
