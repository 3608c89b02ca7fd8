package main

import (
	"os/exec"
	"syscall"
)

// dieWithTest kills a server started by a test if the test binary dies
// (a -timeout panic runs no cleanups).
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
