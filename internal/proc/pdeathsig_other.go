//go:build !linux

package proc

import "syscall"

// dieWithParent has no equivalent outside Linux: the process group alone
// ties a child to its parent.
func dieWithParent(*syscall.SysProcAttr) {}
