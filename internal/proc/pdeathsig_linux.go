package proc

import "syscall"

// dieWithParent asks the kernel to send SIGTERM to the child when the
// thread that started it ends; Go ends threads only with a goroutine that
// locked one, which this package never does, so in practice: when this
// process dies, even by SIGKILL.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
