// Package proc starts and stops the local cloud's long-running processes
// (moto_server, the servers, the load-balancer stand-in, the Lambda emulator,
// the image origin) so that they outlive the command that started them and
// can be stopped later, from another process, with certainty.
//
// Invariants: every process runs in its own process group, with stdin from
// /dev/null and stdout+stderr appended to its own log file. A process is
// identified by its PID together with its start time (from /proc), so a PID
// reused by an unrelated program after a crash is never signalled. Processes
// are stopped by process group and PID only: this package never looks a
// process up by name and never kills by name.
//
// It uses the standard library only and is Linux-specific (/proc).
package proc
