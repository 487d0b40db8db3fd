package zmtp

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by the package wrap one of these, so
// callers test them with errors.Is.
var (
	// ErrClosed is returned by operations on a closed socket.
	ErrClosed = errors.New("zmtp: socket closed")
	// ErrNotSupported is returned when an operation does not apply to the
	// socket type, such as Recv on a PUSH socket.
	ErrNotSupported = errors.New("zmtp: operation not supported by socket type")
	// ErrEmptyMsg is returned by Send for a message with no frames.
	ErrEmptyMsg = errors.New("zmtp: message has no frames")
	// ErrTooLarge reports a message or frame above Options.MaxMsgSize.
	ErrTooLarge = errors.New("zmtp: message too large")
	// ErrEndpoint reports a malformed or unsupported endpoint string.
	ErrEndpoint = errors.New("zmtp: invalid endpoint")
	// ErrGreeting reports a malformed greeting from a peer.
	ErrGreeting = errors.New("zmtp: bad greeting")
	// ErrVersion reports a peer speaking a ZMTP version below 3.0.
	ErrVersion = errors.New("zmtp: unsupported protocol version")
	// ErrMechanism reports an unknown or mismatched security mechanism.
	ErrMechanism = errors.New("zmtp: security mechanism mismatch")
	// ErrSocketType reports a peer whose socket type cannot talk to ours.
	ErrSocketType = errors.New("zmtp: incompatible socket type")
	// ErrAuth reports credentials refused by a PLAIN server.
	ErrAuth = errors.New("zmtp: authentication refused")
	// ErrProtocol reports a violation of the ZMTP framing or command rules.
	ErrProtocol = errors.New("zmtp: protocol error")
	// ErrPeerError reports an ERROR command received from the peer.
	ErrPeerError = errors.New("zmtp: peer sent ERROR")
	// ErrHeartbeat reports a peer that stayed silent past its heartbeat
	// timeout or time-to-live.
	ErrHeartbeat = errors.New("zmtp: heartbeat timeout")
	// ErrHandshakeTimeout reports a handshake that did not finish within
	// Options.HandshakeTimeout.
	ErrHandshakeTimeout = errors.New("zmtp: handshake timeout")
	// ErrPeerLimit reports a connection refused because a listener already
	// serves Options.MaxPeers peers.
	ErrPeerLimit = errors.New("zmtp: too many peers")
	// ErrStalled reports a NoDrop subscriber closed because its writes
	// made no progress for Options.StallTimeout.
	ErrStalled = errors.New("zmtp: subscriber stalled")
	// ErrHeirInUse reports a NoDrop subscriber refused because another
	// connected one has the same Delivery.Heir (see Options.Delivery).
	ErrHeirInUse = errors.New("zmtp: name in use by a connected subscriber")
	// ErrEvicted reports a connection closed to make room for a new one
	// when its listener was at Options.MaxPeers (see there).
	ErrEvicted = errors.New("zmtp: evicted for a new connection")
	// ErrQueueFull is returned by TrySend when the message cannot be queued
	// without waiting.
	ErrQueueFull = errors.New("zmtp: queue full")
)

// errorf wraps a sentinel error with context.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
