package moto

import "syscall"

// dieWithParent asks the kernel to kill the child when the process that
// started it dies (a test binary killed by -timeout runs no cleanups).
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
