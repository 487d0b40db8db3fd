package filesink

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows"
)

// root opens files beneath one directory. Windows has no openat: each
// directory on the way is checked not to be a symbolic link or other
// reparse point before use, and the file is opened with
// FILE_FLAG_OPEN_REPARSE_POINT so a link in its place is not followed.
// A link swapped in between check and use is not caught; on Windows the
// root should not be writable by untrusted accounts.
type root struct {
	dir string
}

// ErrSymlink reports a symbolic link on the way to a destination.
var ErrSymlink = errors.New("filesink: symbolic link in path")

func openRoot(dir string) (*root, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("filesink: root: %w", err)
	}
	return &root{dir: dir}, nil
}

func (r *root) close() error { return nil }

func (r *root) openAppend(rel string) (handle, bool, error) {
	if !cleanRel(rel) {
		return nil, false, fmt.Errorf("%w: %q", ErrComponent, rel)
	}
	comps := strings.Split(rel, "/")
	dir := r.dir
	for _, c := range comps[:len(comps)-1] {
		dir = filepath.Join(dir, c)
		st, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, false, err
			}
			st, err = os.Lstat(dir)
		}
		if err != nil {
			return nil, false, err
		}
		if st.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 || !st.IsDir() {
			return nil, false, fmt.Errorf("%w: %s", ErrSymlink, c)
		}
	}
	name := filepath.Join(dir, comps[len(comps)-1])
	if st, err := os.Lstat(name); err == nil && st.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
		return nil, false, fmt.Errorf("%w: %s", ErrSymlink, comps[len(comps)-1])
	}
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, false, err
	}
	// Append access without write access makes every write land at the
	// end of the file, whatever the offset; it is also enough to flush the
	// file (the kernel's flush wants write or append access). Reading the
	// attributes lets Size and Stat work for rotation and logrotate checks.
	const access = windows.FILE_APPEND_DATA | windows.FILE_READ_ATTRIBUTES | windows.SYNCHRONIZE
	created := true
	h, err := windows.CreateFile(p, access,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.CREATE_NEW, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if errors.Is(err, windows.ERROR_FILE_EXISTS) {
		created = false
		h, err = windows.CreateFile(p, access,
			windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
			windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	}
	if err != nil {
		return nil, false, fmt.Errorf("open %s: %w", name, err)
	}
	return winFile{os.NewFile(uintptr(h), name)}, created, nil
}

// winFile is an *os.File opened for appending.
type winFile struct{ *os.File }

// Unlinked is not checked on Windows: a file deleted while open (the
// sink grants FILE_SHARE_DELETE, for log rotation) is found by the
// once-a-second check that its path still names it.
func (f winFile) Unlinked() (bool, error) { return false, nil }

// Offset returns the file offset.
func (f winFile) Offset() (int64, error) { return f.Seek(0, io.SeekCurrent) }

func (f winFile) Size() (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// sameFile reports whether rel still names the open file h (logrotate).
func (r *root) sameFile(rel string, h handle) bool {
	f, ok := h.(winFile)
	if !ok {
		return false
	}
	st, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(rel)))
	if err != nil {
		return false
	}
	fst, err := f.Stat()
	return err == nil && os.SameFile(st, fst)
}
