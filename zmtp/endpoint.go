package zmtp

import (
	"context"
	"net"
	"strings"
)

// endpoint is a parsed "transport://address" string.
type endpoint struct {
	transport string // "tcp" or "ipc"
	addr      string // host:port for tcp, a path for ipc
}

func (e endpoint) String() string { return e.transport + "://" + e.addr }

// parseEndpoint parses an endpoint. bind allows the "*" host.
func parseEndpoint(s string, bind bool) (endpoint, error) {
	tr, addr, ok := strings.Cut(s, "://")
	if !ok || addr == "" {
		return endpoint{}, errorf(ErrEndpoint, "%q: want transport://address", s)
	}
	switch tr {
	case "tcp":
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return endpoint{}, errorf(ErrEndpoint, "%q: %v", s, err)
		}
		if port == "" {
			return endpoint{}, errorf(ErrEndpoint, "%q: missing port", s)
		}
		if host == "*" {
			if !bind {
				return endpoint{}, errorf(ErrEndpoint, "%q: cannot connect to *", s)
			}
			host = ""
		}
		if port == "*" {
			if !bind {
				return endpoint{}, errorf(ErrEndpoint, "%q: cannot connect to port *", s)
			}
			port = "0"
		}
		if !bind && host == "" {
			return endpoint{}, errorf(ErrEndpoint, "%q: missing host", s)
		}
		return endpoint{transport: "tcp", addr: net.JoinHostPort(host, port)}, nil
	case "inproc":
		return endpoint{transport: "inproc", addr: addr}, nil
	case "ipc":
		if !ipcSupported {
			return endpoint{}, errorf(ErrEndpoint, "%q: ipc is not supported on this system", s)
		}
		return endpoint{transport: "ipc", addr: addr}, nil
	}
	return endpoint{}, errorf(ErrEndpoint, "%q: unsupported transport %q", s, tr)
}

// listen opens a listener for a bind endpoint.
func (e endpoint) listen() (net.Listener, error) {
	switch e.transport {
	case "ipc":
		return listenIPC(e.addr)
	case "inproc":
		return listenInproc(e.addr)
	}
	return net.Listen("tcp", e.addr)
}

// dial connects to a connect endpoint.
func (e endpoint) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	switch e.transport {
	case "ipc":
		return d.DialContext(ctx, "unix", e.addr)
	case "inproc":
		return dialInproc(ctx, e.addr)
	}
	return d.DialContext(ctx, "tcp", e.addr)
}

// boundEndpoint renders a listener address back as an endpoint string.
func boundEndpoint(e endpoint, a net.Addr) string {
	if e.transport != "tcp" {
		return e.String()
	}
	return "tcp://" + a.String()
}
