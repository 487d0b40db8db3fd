//go:build unix

package zmtp

import (
	"errors"
	"net"
	"os"
	"syscall"
)

const ipcSupported = true

// listenIPC listens on a Unix domain socket. A stale socket file left by a
// process that died is replaced, as libzmq does; a live one is not.
func listenIPC(path string) (net.Listener, error) {
	ln, err := net.Listen("unix", path)
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	if c, derr := net.Dial("unix", path); derr == nil {
		if cerr := c.Close(); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	if rerr := os.Remove(path); rerr != nil {
		return nil, rerr
	}
	return net.Listen("unix", path)
}
