//go:build !unix

package main

import (
	"os"
	"time"
)

func terminate(p *os.Process) error { return p.Kill() }

func childUsage(ps *os.ProcessState) (float64, float64) {
	return ps.UserTime().Seconds() + ps.SystemTime().Seconds(), 0
}

func selfCPU() time.Duration { return 0 }

func selfUsage(time.Duration) (float64, float64) { return 0, 0 }
