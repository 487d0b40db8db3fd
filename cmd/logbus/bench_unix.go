//go:build unix

package main

import (
	"os"
	"syscall"
	"time"
)

func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// childUsage returns a finished child's CPU seconds and peak RSS in MiB.
func childUsage(ps *os.ProcessState) (float64, float64) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return ps.UserTime().Seconds() + ps.SystemTime().Seconds(), 0
	}
	return ps.UserTime().Seconds() + ps.SystemTime().Seconds(), float64(ru.Maxrss) / 1024
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfUsage returns this process's CPU seconds since cpu0 and its peak RSS.
func selfUsage(cpu0 time.Duration) (float64, float64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return (selfCPU() - cpu0).Seconds(), float64(ru.Maxrss) / 1024
}
