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
	DefaultMaxNoDrop            = 8
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
	// PartialMsgBytes bounds, across all peers of the socket, the memory
	// held by messages still being received beyond what each peer's read
	// buffer holds: a peer whose unfinished message would exceed it is
	// disconnected (ErrTooLarge). Messages that fit the read buffer, every
	// log record, never count. Default 4 × MaxMsgSize.
	PartialMsgBytes int
	// MaxMsgSize is the largest message (sum of its frames) accepted from a
	// peer, checked from the frame header before any memory is reserved.
	// A larger message closes the connection. Default DefaultMaxMsgSize
	// (16 MiB); a negative value is rejected by NewSocket.
	MaxMsgSize int64
	// NoDrop makes PUB and XPUB wait in Send for room in a subscriber's
	// full queue instead of dropping for that subscriber. Default false:
	// a slow subscriber never slows the others, and drops are counted.
	NoDrop bool
	// Handover, for NoDrop subscribers, keeps what was queued for one that
	// disconnects, and what is sent for it while it is away, for this
	// long, and gives it all to the next NoDrop subscriber that connects
	// with the same Delivery.Heir, ahead of anything newer: a restarted
	// archiver then misses only what was in the network. Messages sent
	// before the first NoDrop subscriber connects are kept the same way,
	// for the first one. A kept queue is bounded by HandoverBytes; when it
	// is full, Send waits (as for a full NoDrop subscriber) until its heir
	// arrives or Handover ends. A newcomer takes at most one kept queue.
	// What is not taken in time is dropped (reason Disconnected).
	// Default 0: nothing is kept.
	Handover time.Duration
	// HandoverBytes bounds each queue kept by Handover, in encoded bytes.
	// Default SendHWMBytes.
	HandoverBytes int
	// Delivery, for PUB and XPUB, decides how each subscriber is served,
	// once its handshake is done, from what the handshake established
	// (its address, PLAIN user and metadata properties, such as a name it
	// declares). It overrides NoDrop per subscriber. Default nil: every
	// subscriber as NoDrop says, with the socket's queue bounds.
	Delivery func(*PeerInfo) Delivery
	// MaxNoDrop bounds the NoDrop subscribers a Delivery function may
	// create, counting those connected and the queues kept for absent
	// ones: each may hold its queue bound in memory. Beyond it a
	// subscriber is served lossily and counted (Stats.NoDropRefused).
	// Default DefaultMaxNoDrop (8).
	MaxNoDrop int
	// StallTimeout closes the connection of a NoDrop subscriber whose
	// writes make no progress for this long (ErrStalled): its queue is
	// then kept as Handover says, and Send stops waiting for it. Progress
	// is measured per write of at most 1 MiB. Default 0: a NoDrop
	// subscriber is waited for as long as it stays connected.
	StallTimeout time.Duration
	// Properties are extra metadata properties sent in our READY or
	// INITIATE command (RFC 37), such as a name the peer may act on.
	// libzmq accepts only names starting with "X-" for its own
	// ZMQ_METADATA; names are 1 to 255 bytes.
	Properties map[string]string
	// ReplayBytes (PUSH) keeps the newest messages written to each peer,
	// at least ReplayBytes of them (whole messages; at most ReplayBytes
	// plus 64 KiB, or plus one larger message), and when the peer goes
	// away sends them again to the next one, ahead of the messages not
	// yet written. A receiver that died after the kernel took them (a
	// broker's kill -9) then still gets them; one that had read them gets
	// them twice, so the receiver must drop duplicates (logbus numbers
	// records for that). Counted in Stats.Replayed. Sent and Unconfirmed
	// are exact for a PUSH with one peer at a time (a publisher, a
	// broker's upstream link); with several, a copy can be counted in
	// Sent twice. Default 0: off.
	ReplayBytes int
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
	// MaxPeers caps the connections served by each Bind endpoint. A new
	// connection at the cap makes room by evicting one (reason Evicted):
	// the oldest still in its handshake after 250 ms; else the oldest of
	// the peers that have sent nothing since theirs; else the one silent
	// longest.
	// NoDrop subscribers are never evicted. Idleness alone is no fault
	// (libzmq sends no heartbeats by default), so nothing is evicted
	// below the cap. Only when no connection can be evicted is the new
	// one closed (reason PeerLimit). Default DefaultMaxPeers (1024).
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
	if c.HandoverBytes <= 0 {
		c.HandoverBytes = c.SendHWMBytes
	}
	if c.MaxNoDrop <= 0 {
		c.MaxNoDrop = DefaultMaxNoDrop
	}
	if len(c.Properties) > 0 {
		props := make(map[string]string, len(c.Properties))
		for k, v := range c.Properties {
			if len(k) == 0 || len(k) > 255 {
				return c, errorf(ErrProtocol, "metadata property name %q: want 1 to 255 bytes", k)
			}
			if len(v) > maxCommandSize/2 {
				return c, errorf(ErrTooLarge, "metadata property %q: value of %d bytes", k, len(v))
			}
			props[k] = v
		}
		c.Properties = props
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
	if c.PartialMsgBytes <= 0 {
		c.PartialMsgBytes = int(4 * c.MaxMsgSize)
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
