package zmtp

import (
	"log/slog"
	"net"
	"time"
)

// Default option values, used for zero fields of Options.
const (
	DefaultHWM                  = 1000
	DefaultHWMBytes             = 16 << 20
	DefaultMaxMsgSize           = 16 << 20
	DefaultHandshakeTimeout     = 10 * time.Second
	DefaultReconnectInterval    = 100 * time.Millisecond
	DefaultReconnectIntervalMax = 5 * time.Second
	DefaultLinger               = 2 * time.Second
	DefaultMaxPeers             = 1024
	DefaultReadBufferSize       = 64 << 10
)

// PlainAuthFunc decides whether a PLAIN client may connect. It runs on the
// connection's own goroutine during the handshake; returning a non-nil error
// refuses the peer, and the error text is sent to it in an ERROR command.
type PlainAuthFunc func(username, password string, remote net.Addr) error

// Options configures a Socket. A nil *Options means all defaults; a zero
// field means that field's default.
type Options struct {
	// SendHWM bounds each outgoing queue in messages: per peer, and for
	// PUSH also the queue kept while no peer is connected.
	// Default DefaultHWM (1000).
	SendHWM int
	// SendHWMBytes bounds each outgoing queue in encoded bytes.
	// Default DefaultHWMBytes (16 MiB). A single message larger than the
	// bound is still accepted into an empty queue.
	SendHWMBytes int
	// RecvHWM bounds, per peer, the messages read from the network but not
	// yet returned by Recv. When it is reached the socket stops reading
	// from that peer, which pushes back on the sender. Default DefaultHWM.
	RecvHWM int
	// RecvHWMBytes is the byte bound matching RecvHWM. It counts the
	// memory the received messages hold (the buffers they were read into,
	// never more than four times their own size), so it bounds memory
	// even for a peer that sends a little at a time.
	// Default DefaultHWMBytes (16 MiB).
	RecvHWMBytes int
	// MaxMsgSize is the largest message (sum of its frames) accepted from a
	// peer, checked from the frame header before any memory is reserved.
	// A larger message closes the connection. Default DefaultMaxMsgSize
	// (16 MiB); a negative value is rejected by NewSocket.
	MaxMsgSize int64
	// NoDrop makes PUB and XPUB wait in Send for room in a subscriber's
	// full queue instead of dropping for that subscriber. Default false:
	// a slow subscriber never slows the others, and drops are counted.
	NoDrop bool
	// Handover, with NoDrop, keeps the messages still queued for a
	// subscriber that disconnects for this long, and gives them to the
	// next subscriber that connects after it with the same subscriptions,
	// ahead of anything newer (at the next Send): a restarted archiver
	// then misses only what was in the network. A newcomer takes at most
	// one such queue. Those not taken in time are dropped (reason
	// Disconnected). Default 0: dropped at once.
	Handover time.Duration
	// Linger is how long Close waits for queued messages to be written.
	// Whatever is left afterwards is counted as dropped (reason Linger).
	// Default DefaultLinger (2 s); a negative value means do not wait.
	Linger time.Duration
	// HandshakeTimeout bounds greeting plus security handshake.
	// Default DefaultHandshakeTimeout (10 s).
	HandshakeTimeout time.Duration
	// ReconnectInterval is the first delay before redialling a connect
	// endpoint. Default DefaultReconnectInterval (100 ms).
	ReconnectInterval time.Duration
	// ReconnectIntervalMax caps the exponential backoff between dial
	// attempts. Default DefaultReconnectIntervalMax (5 s).
	ReconnectIntervalMax time.Duration
	// MaxPeers caps the connections served by each Bind endpoint; extra
	// connections are closed and counted (reason PeerLimit).
	// Default DefaultMaxPeers (1024).
	MaxPeers int
	// ReadBufferSize is the buffered reader size per connection. Larger
	// buffers mean fewer system calls under load; a broker with very many
	// mostly idle peers may want less. Default DefaultReadBufferSize
	// (64 KiB); at least 4 KiB is used.
	ReadBufferSize int
	// SendBufferSize and RecvBufferSize, when positive, set the kernel's
	// socket buffers of each TCP connection (as libzmq's ZMQ_SNDBUF and
	// ZMQ_RCVBUF do). They bound how much data sits in the kernel between
	// the two sockets: Stats.Sent counts a message once it is handed to
	// the kernel, so data still in flight when a peer process dies is
	// lost with it. Default 0: the system's default (on Linux the buffers
	// grow to several MiB on a busy connection).
	SendBufferSize, RecvBufferSize int
	// HeartbeatInterval, when positive, sends a PING to each peer this
	// often. Default 0: no heartbeats are sent (PINGs from peers are
	// always answered).
	HeartbeatInterval time.Duration
	// HeartbeatTimeout closes a connection that receives nothing for this
	// long after a PING was sent. Default: HeartbeatInterval.
	HeartbeatTimeout time.Duration
	// HeartbeatTTL is announced in our PINGs: the peer should close the
	// connection if it hears nothing from us for this long. It is rounded
	// down to tenths of a second, at most 6553.5 s. Default 0: none.
	HeartbeatTTL time.Duration
	// Identity is sent as the Identity property of READY/INITIATE when not
	// empty (at most 255 bytes).
	Identity []byte
	// PlainUsername and PlainPassword, when PlainUsername is not empty,
	// make this socket a PLAIN client.
	PlainUsername, PlainPassword string
	// PlainAuth, when set, makes this socket a PLAIN server that checks
	// each client's credentials with it.
	PlainAuth PlainAuthFunc
	// Logger receives one record per failed or closed connection (with the
	// endpoint, remote address and reason). Default: nothing is logged.
	Logger *slog.Logger
}

// config is Options with defaults applied.
type config struct {
	Options
}

func newConfig(o *Options) (config, error) {
	var c config
	if o != nil {
		c.Options = *o
		c.Identity = append([]byte(nil), o.Identity...)
	}
	if c.SendHWM <= 0 {
		c.SendHWM = DefaultHWM
	}
	if c.SendHWMBytes <= 0 {
		c.SendHWMBytes = DefaultHWMBytes
	}
	if c.RecvHWM <= 0 {
		c.RecvHWM = DefaultHWM
	}
	if c.RecvHWMBytes <= 0 {
		c.RecvHWMBytes = DefaultHWMBytes
	}
	if c.MaxMsgSize < 0 {
		return c, errorf(ErrTooLarge, "negative MaxMsgSize %d", c.MaxMsgSize)
	}
	if c.MaxMsgSize == 0 {
		c.MaxMsgSize = DefaultMaxMsgSize
	}
	if c.Linger == 0 {
		c.Linger = DefaultLinger
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.ReconnectInterval <= 0 {
		c.ReconnectInterval = DefaultReconnectInterval
	}
	if c.ReconnectIntervalMax <= 0 {
		c.ReconnectIntervalMax = DefaultReconnectIntervalMax
	}
	if c.ReconnectIntervalMax < c.ReconnectInterval {
		c.ReconnectIntervalMax = c.ReconnectInterval
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = DefaultMaxPeers
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = DefaultReadBufferSize
	}
	c.ReadBufferSize = max(c.ReadBufferSize, 4<<10)
	if c.HeartbeatInterval > 0 && c.HeartbeatTimeout <= 0 {
		c.HeartbeatTimeout = c.HeartbeatInterval
	}
	if len(c.Identity) > 255 {
		return c, errorf(ErrProtocol, "identity longer than 255 bytes")
	}
	if len(c.PlainUsername) > 255 || len(c.PlainPassword) > 255 {
		return c, errorf(ErrProtocol, "PLAIN username or password longer than 255 bytes")
	}
	if c.PlainUsername != "" && c.PlainAuth != nil {
		return c, errorf(ErrMechanism, "a socket cannot be both PLAIN client and PLAIN server")
	}
	return c, nil
}

func (c *config) mechanism() string {
	if c.PlainUsername != "" || c.PlainAuth != nil {
		return mechPLAIN
	}
	return mechNULL
}
