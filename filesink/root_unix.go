//go:build unix

package filesink

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// root opens files beneath one directory without ever following a
// symbolic link: each directory is opened relative to its parent with
// O_NOFOLLOW (and, on Linux, openat2 with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS as well), so neither a hostile name nor a link
// planted inside the root can reach a file outside it.
type root struct {
	dir string
	fd  int
}

func openRoot(dir string) (*root, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("filesink: root: %w", err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("filesink: root %s: %w", dir, err)
	}
	return &root{dir: dir, fd: fd}, nil
}

func (r *root) close() error {
	if r == nil || r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// ErrSymlink reports a symbolic link on the way to a destination.
var ErrSymlink = errors.New("filesink: symbolic link in path")

// openAppend opens rel (a clean relative path) for appending, creating it
// and its directories (0755) as needed; it reports whether the file was
// created, after syncing the directory that now lists it.
func (r *root) openAppend(rel string) (handle, bool, error) {
	if !cleanRel(rel) {
		return nil, false, fmt.Errorf("%w: %q", ErrComponent, rel)
	}
	// Fast path: the file exists, and the kernel walks the path refusing
	// links and escapes in one call.
	if fd, ok, err := openat2Beneath(r.fd, rel, unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0); ok && err == nil {
		return fdFile(fd), false, nil
	}
	comps := strings.Split(rel, "/")
	dirfd := r.fd
	closeDir := func() {
		if dirfd != r.fd {
			unix.Close(dirfd) //nolint:errcheck // a read-only directory handle: nothing to lose
		}
	}
	for _, c := range comps[:len(comps)-1] {
		next, err := openDirBeneath(dirfd, c)
		if errors.Is(err, unix.ENOENT) {
			if err = unix.Mkdirat(dirfd, c, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
				closeDir()
				return nil, false, fmt.Errorf("mkdir %s: %w", c, err)
			}
			if err == nil {
				if err := unix.Fsync(dirfd); err != nil {
					closeDir()
					return nil, false, fmt.Errorf("sync directory: %w", err)
				}
			}
			next, err = openDirBeneath(dirfd, c)
		}
		if err != nil {
			lerr := linkError(dirfd, c, err) // before dirfd is closed
			closeDir()
			return nil, false, lerr
		}
		closeDir()
		dirfd = next
	}
	defer closeDir()
	name := comps[len(comps)-1]
	created := true
	fd, err := openFileBeneath(dirfd, name, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_EXCL)
	if errors.Is(err, unix.EEXIST) {
		created = false
		fd, err = openFileBeneath(dirfd, name, unix.O_WRONLY|unix.O_APPEND)
	}
	if err != nil {
		return nil, false, linkError(dirfd, name, err)
	}
	if created {
		if err := unix.Fsync(dirfd); err != nil {
			unix.Close(fd) //nolint:errcheck // nothing written yet
			return nil, false, fmt.Errorf("sync directory: %w", err)
		}
	}
	return fdFile(fd), created, nil
}

// fdFile is a file descriptor opened for appending.
type fdFile int

func (f fdFile) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Write(int(f), b[done:])
		if n > 0 {
			done += n
		}
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return done, err
		case n == 0:
			return done, io.ErrShortWrite
		}
	}
	return done, nil
}

func (f fdFile) Sync() error {
	for {
		if err := unix.Fsync(int(f)); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

func (f fdFile) Close() error { return unix.Close(int(f)) }

func (f fdFile) Truncate(size int64) error {
	for {
		if err := unix.Ftruncate(int(f), size); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// Offset returns the file offset: after a write with O_APPEND, the end of
// what it wrote.
func (f fdFile) Offset() (int64, error) {
	return unix.Seek(int(f), 0, io.SeekCurrent)
}

func (f fdFile) Unlinked() (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f), &st); err != nil {
		return false, err
	}
	return st.Nlink == 0, nil
}

func (f fdFile) Size() (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f), &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

// sameFile reports whether rel still names the open file h; a file
// renamed or deleted (logrotate) must be reopened.
func (r *root) sameFile(rel string, h handle) bool {
	f, ok := h.(fdFile)
	if !ok {
		return false
	}
	var a, b unix.Stat_t
	if unix.Fstat(int(f), &a) != nil || unix.Fstatat(r.fd, rel, &b, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// linkError says why name, in dirfd, could not be opened on the way: a
// symbolic link (refused), or something that is not a directory where
// one is needed (a regular file named like an equipment, say), named for
// what it is.
func linkError(dirfd int, name string, err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EXDEV) {
		var st unix.Stat_t
		if errors.Is(err, unix.ENOTDIR) && unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil &&
			st.Mode&unix.S_IFMT != unix.S_IFLNK {
			return fmt.Errorf("%w: %s is %s", ErrNotDirectory, name, fileKind(uint32(st.Mode)))
		}
		return fmt.Errorf("%w: %s: %w", ErrSymlink, name, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// ErrNotDirectory reports a path component that must be a directory and
// is something else.
var ErrNotDirectory = errors.New("filesink: not a directory in path")

// fileKind names a file's type, for error messages.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFIFO:
		return "a named pipe"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "a device"
	}
	return "not a directory"
}

func openDirBeneath(dirfd int, name string) (int, error) {
	return openBeneath(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
}

func openFileBeneath(dirfd int, name string, flags int) (int, error) {
	return openBeneath(dirfd, name, flags, 0o644)
}

// openBeneath opens one path component relative to dirfd, refusing links.
func openBeneath(dirfd int, name string, flags int, mode uint32) (int, error) {
	flags |= unix.O_CLOEXEC | unix.O_NOFOLLOW
	if fd, ok, err := openat2Beneath(dirfd, name, flags, mode); ok {
		return fd, err
	}
	for {
		fd, err := unix.Openat(dirfd, name, flags, mode)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, err
	}
}
