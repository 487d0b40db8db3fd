package zmtp

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Compile-time checks: inproc endpoints stand in for the net types.
var (
	_ net.Listener = (*inprocListener)(nil)
	_ net.Conn     = (*inprocConn)(nil)
	_ net.Addr     = inprocAddr("")
)

// inproc:// endpoints connect sockets of one process through an in-memory
// buffered pipe, with the same framing and handshake as TCP. They cost no
// file descriptors and need no port, which suits tests and in-process
// stages.

var inprocRegistry = struct {
	sync.Mutex
	m map[string]*inprocListener
}{m: make(map[string]*inprocListener)}

// inprocListener is a net.Listener fed by inproc dials.
type inprocListener struct {
	name  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func listenInproc(name string) (net.Listener, error) {
	inprocRegistry.Lock()
	defer inprocRegistry.Unlock()
	if _, ok := inprocRegistry.m[name]; ok {
		return nil, errorf(ErrEndpoint, "inproc://%s is already bound", name)
	}
	l := &inprocListener{name: name, conns: make(chan net.Conn), done: make(chan struct{})}
	inprocRegistry.m[name] = l
	return l, nil
}

func dialInproc(ctx context.Context, name string) (net.Conn, error) {
	inprocRegistry.Lock()
	l := inprocRegistry.m[name]
	inprocRegistry.Unlock()
	if l == nil {
		return nil, errorf(ErrEndpoint, "inproc://%s is not bound", name)
	}
	a, b := newInprocPair(name)
	select {
	case l.conns <- b:
		return a, nil
	case <-l.done:
	case <-ctx.Done():
	}
	// inprocConn.Close cannot fail.
	a.closeLocal()
	b.closeLocal()
	return nil, errorf(ErrEndpoint, "inproc://%s is not accepting", name)
}

func (l *inprocListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *inprocListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		inprocRegistry.Lock()
		delete(inprocRegistry.m, l.name)
		inprocRegistry.Unlock()
	})
	return nil
}

func (l *inprocListener) Addr() net.Addr { return inprocAddr(l.name) }

// inprocAddr is the net.Addr of an inproc endpoint.
type inprocAddr string

func (a inprocAddr) Network() string { return "inproc" }
func (a inprocAddr) String() string  { return string(a) }

// inprocConn is one end of an in-memory connection. Unlike net.Pipe it is
// buffered, so both ends may write their greeting before either reads.
type inprocConn struct {
	name       string
	rx, tx     chan []byte
	localDone  chan struct{}
	remoteDone chan struct{}
	once       *sync.Once
	// txShut and rxShut are the two directions' half-closes (CloseWrite):
	// our txShut is the other end's rxShut.
	txShut, rxShut chan struct{}
	shutOnce       *sync.Once
	pending        []byte // reader-owned rest of the last chunk

	mu       sync.Mutex
	rdl, wdl time.Time
}

// inprocChunks bounds the writes in flight per direction.
const inprocChunks = 64

func newInprocPair(name string) (*inprocConn, *inprocConn) {
	ab, ba := make(chan []byte, inprocChunks), make(chan []byte, inprocChunks)
	da, db := make(chan struct{}), make(chan struct{})
	sa, sb := make(chan struct{}), make(chan struct{})
	a := &inprocConn{name: name, rx: ba, tx: ab, localDone: da, remoteDone: db, once: new(sync.Once),
		txShut: sa, rxShut: sb, shutOnce: new(sync.Once)}
	b := &inprocConn{name: name, rx: ab, tx: ba, localDone: db, remoteDone: da, once: new(sync.Once),
		txShut: sb, rxShut: sa, shutOnce: new(sync.Once)}
	return a, b
}

func (c *inprocConn) deadline(read bool) (<-chan time.Time, func(), bool) {
	c.mu.Lock()
	dl := c.wdl
	if read {
		dl = c.rdl
	}
	c.mu.Unlock()
	if dl.IsZero() {
		return nil, func() {}, true
	}
	d := time.Until(dl)
	if d <= 0 {
		return nil, nil, false
	}
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }, true
}

func (c *inprocConn) Read(b []byte) (int, error) {
	if len(c.pending) == 0 {
		select {
		case p := <-c.rx:
			c.pending = p
		default:
			tc, stop, ok := c.deadline(true)
			if !ok {
				return 0, os.ErrDeadlineExceeded
			}
			defer stop()
			select {
			case p := <-c.rx:
				c.pending = p
			case <-c.localDone:
				return 0, net.ErrClosed
			case <-c.remoteDone:
				select {
				case p := <-c.rx:
					c.pending = p
				default:
					return 0, io.EOF
				}
			case <-c.rxShut:
				// The other end wrote everything it will: what it wrote
				// before is read first.
				select {
				case p := <-c.rx:
					c.pending = p
				default:
					return 0, io.EOF
				}
			case <-tc:
				return 0, os.ErrDeadlineExceeded
			}
		}
	}
	n := copy(b, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *inprocConn) Write(b []byte) (int, error) {
	select {
	case <-c.localDone:
		return 0, net.ErrClosed
	case <-c.txShut:
		return 0, net.ErrClosed
	case <-c.remoteDone:
		return 0, io.ErrClosedPipe
	default:
	}
	cp := append([]byte(nil), b...)
	select {
	case c.tx <- cp:
		return len(b), nil
	default:
	}
	tc, stop, ok := c.deadline(false)
	if !ok {
		return 0, os.ErrDeadlineExceeded
	}
	defer stop()
	select {
	case c.tx <- cp:
		return len(b), nil
	case <-c.localDone:
		return 0, net.ErrClosed
	case <-c.remoteDone:
		return 0, io.ErrClosedPipe
	case <-tc:
		return 0, os.ErrDeadlineExceeded
	}
}

func (c *inprocConn) Close() error {
	c.closeLocal()
	return nil
}

// CloseWrite shuts down the writing direction, like TCP's half-close:
// the other end reads what was written, then io.EOF.
func (c *inprocConn) CloseWrite() error {
	c.shutOnce.Do(func() { close(c.txShut) })
	return nil
}

func (c *inprocConn) closeLocal() { c.once.Do(func() { close(c.localDone) }) }

func (c *inprocConn) LocalAddr() net.Addr  { return inprocAddr(c.name) }
func (c *inprocConn) RemoteAddr() net.Addr { return inprocAddr(c.name) }

func (c *inprocConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl, c.wdl = t, t
	c.mu.Unlock()
	return nil
}

func (c *inprocConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdl = t
	c.mu.Unlock()
	return nil
}

func (c *inprocConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdl = t
	c.mu.Unlock()
	return nil
}
