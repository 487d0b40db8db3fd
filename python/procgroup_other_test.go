//go:build !unix

package python

import (
	"os/exec"
	"syscall"
)

func newProcessGroup() *syscall.SysProcAttr { return nil }

func killProcessGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }
