//go:build unix

package filesink

import (
	"errors"

	"golang.org/x/sys/unix"
)

// fdLimit returns the process's limit on open file descriptors (the soft
// RLIMIT_NOFILE), or 0 when unknown.
func fdLimit() int {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<30 {
		return 0
	}
	return int(l.Cur)
}

// outOfDescriptors reports whether err is the process (EMFILE) or the
// system (ENFILE) running out of file descriptors.
func outOfDescriptors(err error) bool {
	return errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE)
}
