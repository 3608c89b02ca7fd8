package demo

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"time"
)

// Command runs the subcommands as processes of the twinstack binary at
// Path, in Dir, with Env (nil: this process's environment).
type Command struct {
	Path string
	Dir  string
	Env  []string
	// Grace is how long a step may take to clean up after an interrupt
	// before it is killed (default 10 minutes: `local up` destroys what it
	// had deployed).
	Grace time.Duration
}

// Run implements Runner.
func (c Command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(ctx, c.Path, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = c.Dir, c.Env, stdout, stderr
	// An interrupt reaches the step as one, so that it can clean up.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = c.Grace
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 10 * time.Minute
	}
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		return ee.ExitCode(), nil
	}
	return -1, err
}
