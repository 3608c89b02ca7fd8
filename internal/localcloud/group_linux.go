package localcloud

import (
	"os/exec"
	"syscall"
	"time"
)

// setGroup runs cmd in its own process group and, when its context ends,
// ends the whole group (the CLI and the tools it started), by PID.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	cmd.WaitDelay = 10 * time.Second
}
