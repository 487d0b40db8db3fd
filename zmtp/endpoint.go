package zmtp

import (
	"context"
	"errors"
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
	c, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return nil, err
	}
	return notSelf(c)
}

// notSelf refuses a connection to itself.
func notSelf(c net.Conn) (net.Conn, error) {
	// Dialling a local port nobody listens on can connect the socket to
	// itself (TCP simultaneous open, when the kernel picks that very port
	// as the source): it would hold the port the server is about to bind.
	if c.LocalAddr().String() == c.RemoteAddr().String() {
		// An abortive close: no TIME_WAIT to keep holding the port.
		if tc, ok := c.(*net.TCPConn); ok {
			if err := tc.SetLinger(0); err != nil {
				return nil, errors.Join(errSelfConnect, err, c.Close())
			}
		}
		if cerr := c.Close(); cerr != nil {
			return nil, errors.Join(errSelfConnect, cerr)
		}
		return nil, errSelfConnect
	}
	return c, nil
}

// errSelfConnect is a dial that reached itself instead of a server.
var errSelfConnect = errors.New("connected to itself: nothing listens there")

// boundEndpoint renders a listener address back as an endpoint string.
func boundEndpoint(e endpoint, a net.Addr) string {
	if e.transport != "tcp" {
		return e.String()
	}
	return "tcp://" + a.String()
}
