//go:build !linux

package moto

import "syscall"

func dieWithParent(*syscall.SysProcAttr) {}
