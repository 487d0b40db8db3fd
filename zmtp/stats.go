package zmtp

import (
	"errors"
	"net"
	"os"
	"sync/atomic"
)

// Stats is a snapshot of a socket's counters. Counters only grow.
type Stats struct {
	// Sent counts data messages handed to a connection's kernel buffer
	// (for PUB, once per subscriber); a replay copy (PUSH,
	// Options.ReplayBytes) written again is not counted again.
	Sent uint64
	// Received counts messages returned by Recv/RecvInto.
	Received uint64
	// Queued is the number of messages accepted by Send and not yet
	// written (all peer queues plus the PUSH queue kept while no peer is
	// connected).
	Queued int
	// HandedOver counts PUB/XPUB messages that were queued for a
	// subscriber that went away and were given to the next one to connect
	// (Options.Handover).
	HandedOver uint64
	// Requeued counts PUSH messages moved back to the socket queue because
	// their peer went away before they were written; they are sent again
	// to the next peer and are not lost.
	Requeued uint64
	// Replayed counts PUSH messages sent again to the next peer after
	// their peer went away, from its replay window (Options.ReplayBytes):
	// they had been written, and may arrive twice.
	Replayed uint64
	// Unconfirmed counts replay copies discarded at Close before they
	// were written again: each was written once, to a peer that went
	// away and may or may not have read it. Included in Dropped.Linger.
	Unconfirmed uint64
	// NoSubscriber counts PUB/XPUB messages that matched no subscriber.
	// This is publish-subscribe semantics, not loss: nobody asked for them.
	NoSubscriber uint64
	// Filtered counts messages a SUB discarded because they matched none of
	// its subscriptions (sent before an unsubscribe took effect).
	Filtered uint64
	// Dropped counts accepted messages that were discarded, by reason.
	Dropped DropStats
	// Connects counts completed handshakes; Disconnects counts connections
	// that ended after a completed handshake.
	Connects, Disconnects uint64
	// DialFailures counts failed dial attempts of Connect endpoints.
	DialFailures uint64
	// Rejected counts connections closed because of the peer, by reason.
	Rejected RejectStats
	// Waiting is true while a Send waits for room (NoDrop): the sender is
	// held back.
	Waiting bool
	// Kept and KeptBytes are the messages, and their encoded bytes, kept
	// for absent NoDrop subscribers (Options.Handover); Kept is also in
	// Queued.
	Kept, KeptBytes int
	// NoDropRefused counts subscribers that Options.Delivery asked to
	// serve NoDrop but were served lossily, MaxNoDrop being reached.
	NoDropRefused uint64
	// Peers describes the currently connected peers.
	Peers []PeerStats
}

// DropStats breaks down Stats.Dropped.
type DropStats struct {
	// QueueFull: PUB/XPUB dropped for a subscriber whose queue was full.
	QueueFull uint64
	// Disconnected: queued for a PUB/XPUB subscriber that went away.
	Disconnected uint64
	// Linger: still queued when Close's linger period ended.
	Linger uint64
	// Unread: received from the network but never returned by Recv before
	// Close.
	Unread uint64
	// Stalled: for a NoDrop subscriber cut off for stalling
	// (StallTimeout), kept for its return beyond HandoverBytes, or sent
	// to it once back while it had not yet caught up; such a subscriber
	// makes Send wait no more until it reads again.
	Stalled uint64
}

// Total returns the sum of all drop reasons.
func (d DropStats) Total() uint64 {
	return d.QueueFull + d.Disconnected + d.Linger + d.Unread + d.Stalled
}

// RejectStats breaks down connections closed because of the peer.
type RejectStats struct {
	Greeting         uint64 // malformed greeting or garbage instead of ZMTP
	Version          uint64 // ZMTP older than 3.0
	Mechanism        uint64 // unknown or mismatched security mechanism
	SocketType       uint64 // incompatible Socket-Type
	Auth             uint64 // PLAIN credentials refused (either side)
	Protocol         uint64 // framing or command rule violated
	TooLarge         uint64 // frame or message above MaxMsgSize
	HandshakeTimeout uint64 // handshake not finished in time
	Heartbeat        uint64 // peer silent past heartbeat timeout or TTL
	PeerError        uint64 // peer sent an ERROR command
	PeerLimit        uint64 // listener already at MaxPeers
	Stalled          uint64 // NoDrop subscriber made no progress for StallTimeout
	Evicted          uint64 // closed to make room at MaxPeers (see Options.MaxPeers)
	HeirInUse        uint64 // NoDrop subscriber under the name of a connected one
}

// Total returns the sum of all reject reasons.
func (r RejectStats) Total() uint64 {
	return r.Greeting + r.Version + r.Mechanism + r.SocketType + r.Auth + r.Protocol +
		r.TooLarge + r.HandshakeTimeout + r.Heartbeat + r.PeerError + r.PeerLimit + r.Stalled + r.Evicted + r.HeirInUse
}

// PeerStats describes one connected peer.
type PeerStats struct {
	Remote      string // remote address
	SocketType  string // the peer's announced socket type
	Identity    []byte // the peer's Identity property, if any
	Queued      int    // messages waiting in this peer's queue
	Dropped     uint64 // PUB/XPUB: messages dropped for this peer (queue full)
	QueuedBytes int    // memory its queue holds: its own bytes, and shared buffers (PUB) whole
	NoDrop      bool   // PUB/XPUB: Send waits for room in its queue
	Heir        string // PUB/XPUB: its Delivery.Heir
	Prefixes    int    // PUB/XPUB: distinct prefixes it subscribed to
}

// counters holds the atomic counters behind Stats.
type counters struct {
	sent, received, requeued, noSubscriber, filtered     atomic.Uint64
	replayed, unconfirmed                                atomic.Uint64
	handedOver                                           atomic.Uint64
	dropFull, dropDisconnected, dropLinger, dropUnread   atomic.Uint64
	dropStalled                                          atomic.Uint64
	connects, disconnects, dialFailures                  atomic.Uint64
	rejGreeting, rejVersion, rejMechanism, rejSocketType atomic.Uint64
	rejAuth, rejProtocol, rejTooLarge, rejTimeout        atomic.Uint64
	rejHeartbeat, rejPeerError, rejPeerLimit, rejStalled atomic.Uint64
	rejEvicted, rejHeirInUse                             atomic.Uint64
	noDropRefused                                        atomic.Uint64
}

// reject counts a connection closed because of err and reports whether err
// was the peer's fault (as opposed to an ordinary disconnect or our close).
func (c *counters) reject(err error) bool {
	var ctr *atomic.Uint64
	switch {
	case errors.Is(err, ErrGreeting):
		ctr = &c.rejGreeting
	case errors.Is(err, ErrVersion):
		ctr = &c.rejVersion
	case errors.Is(err, ErrMechanism):
		ctr = &c.rejMechanism
	case errors.Is(err, ErrSocketType):
		ctr = &c.rejSocketType
	case errors.Is(err, ErrAuth):
		ctr = &c.rejAuth
	case errors.Is(err, ErrTooLarge):
		ctr = &c.rejTooLarge
	case errors.Is(err, ErrProtocol):
		ctr = &c.rejProtocol
	case errors.Is(err, ErrHandshakeTimeout):
		ctr = &c.rejTimeout
	case errors.Is(err, ErrHeartbeat):
		ctr = &c.rejHeartbeat
	case errors.Is(err, ErrPeerError):
		ctr = &c.rejPeerError
	case errors.Is(err, ErrPeerLimit):
		ctr = &c.rejPeerLimit
	case errors.Is(err, ErrStalled):
		ctr = &c.rejStalled
	case errors.Is(err, ErrEvicted):
		ctr = &c.rejEvicted
	case errors.Is(err, ErrHeirInUse):
		ctr = &c.rejHeirInUse
	default:
		return false
	}
	ctr.Add(1)
	return true
}

func (c *counters) snapshot() Stats {
	return Stats{
		Sent:         c.sent.Load(),
		Received:     c.received.Load(),
		Requeued:     c.requeued.Load(),
		Replayed:     c.replayed.Load(),
		Unconfirmed:  c.unconfirmed.Load(),
		HandedOver:   c.handedOver.Load(),
		NoSubscriber: c.noSubscriber.Load(),
		Filtered:     c.filtered.Load(),
		Dropped: DropStats{
			QueueFull:    c.dropFull.Load(),
			Disconnected: c.dropDisconnected.Load(),
			Linger:       c.dropLinger.Load(),
			Unread:       c.dropUnread.Load(),
			Stalled:      c.dropStalled.Load(),
		},
		Connects:     c.connects.Load(),
		Disconnects:  c.disconnects.Load(),
		DialFailures: c.dialFailures.Load(),
		Rejected: RejectStats{
			Greeting:         c.rejGreeting.Load(),
			Version:          c.rejVersion.Load(),
			Mechanism:        c.rejMechanism.Load(),
			SocketType:       c.rejSocketType.Load(),
			Auth:             c.rejAuth.Load(),
			Protocol:         c.rejProtocol.Load(),
			TooLarge:         c.rejTooLarge.Load(),
			HandshakeTimeout: c.rejTimeout.Load(),
			Heartbeat:        c.rejHeartbeat.Load(),
			PeerError:        c.rejPeerError.Load(),
			PeerLimit:        c.rejPeerLimit.Load(),
			Stalled:          c.rejStalled.Load(),
			Evicted:          c.rejEvicted.Load(),
			HeirInUse:        c.rejHeirInUse.Load(),
		},
		NoDropRefused: c.noDropRefused.Load(),
	}
}

// isTimeout reports a deadline expiry from the net package.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
