package filesink

import (
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noOpenat2 is set once the kernel has said it lacks openat2 (before 5.6).
var noOpenat2 atomic.Bool

// openat2Beneath opens with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS; ok is
// false when the kernel has no openat2 and the caller must fall back to
// the O_NOFOLLOW walk.
func openat2Beneath(dirfd int, name string, flags int, mode uint32) (fd int, ok bool, err error) {
	if noOpenat2.Load() {
		return -1, false, nil
	}
	how := unix.OpenHow{Flags: uint64(flags), Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS}
	if flags&unix.O_CREAT != 0 {
		how.Mode = uint64(mode)
	}
	for {
		fd, err := unix.Openat2(dirfd, name, &how)
		switch {
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case errors.Is(err, unix.ENOSYS):
			noOpenat2.Store(true)
			return -1, false, nil
		}
		return fd, true, err
	}
}
