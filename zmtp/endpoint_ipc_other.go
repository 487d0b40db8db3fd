//go:build !unix

package zmtp

import "net"

const ipcSupported = false

func listenIPC(path string) (net.Listener, error) {
	return nil, errorf(ErrEndpoint, "ipc://%s: ipc is not supported on this system", path)
}
