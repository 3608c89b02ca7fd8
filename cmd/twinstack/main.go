// Command twinstack is the project's CLI: the server (serve), the synth
// comparison (diff), the local cloud (local up|down|status, verify, invoke,
// consistency), the benchmark (bench) and the main job end to end (demo).
// main wires signals and delegates to Main, which tests call in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/twinstack/twinstack/internal/apperr"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Env is what a subcommand may use of the process: no subcommand reads
// os.Getenv or writes os.Stdout directly.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
}

// command runs one subcommand. It returns nil, errExit{code} for a chosen
// exit status (diff's "differences" is 1), or an error whose apperr code
// maps to an exit status.
type command struct {
	summary string
	run     func(ctx context.Context, e *Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":       {"run the image server (Echo) on EC2 or locally", runServe},
		"diff":        {"compare the Terraform and CloudFormation synth outputs", runDiff},
		"local":       {"local cloud: local up|down|status", runLocal},
		"verify":      {"check a deployment against the model through the AWS API", runVerify},
		"invoke":      {"send one image through a deployment", runInvoke},
		"consistency": {"check that every instance serves the same albums", runConsistency},
		"bench":       {"measure latency, throughput, errors and cost of the deployments", runBench},
		"demo":        {"the main job: local up, verify, invoke, consistency, diff, bench, local down", runDemo},
		"state":       {"state bootstrap: create the S3 bucket of the Terraform state", runState},

		"adopt-mapping": {"print the cdk import resource mapping of the bucket and tables a destroy kept", runAdoptMapping},

		"build-lambda": {"build the Lambda bootstrap and its reproducible zip", runBuildLambda},
	}
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // a check found differences or a command failed
	exitUsage = 2 // bad flags, bad configuration, unreadable input
)

// errExit ends a command with a given status after it has printed its own
// report.
type errExit int

func (e errExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Main runs the CLI and returns the process exit status.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &Env{Getenv: getenv, Stdout: stdout, Stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "twinstack: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return exitUsage
	}
	err := cmd.run(ctx, e, args[1:])
	return exitStatus(stderr, args[0], err)
}

func exitStatus(stderr io.Writer, name string, err error) int {
	var ee errExit
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return int(ee)
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	fmt.Fprintf(stderr, "twinstack %s: %s: %v\n", name, apperr.CodeOf(err), err)
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.InvalidConfig, apperr.Unsupported:
		return exitUsage
	default:
		return exitFail
	}
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: twinstack <command> [flags]")
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
}

// notYet is the answer of a subcommand whose issue has not landed.
func notYet(name string) error {
	return apperr.Errorf(apperr.Unsupported, name, "not implemented yet")
}
