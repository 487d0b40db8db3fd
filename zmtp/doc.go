// Package zmtp is a pure-Go implementation of the ZeroMQ Message Transport
// Protocol (ZMTP 3.1, RFC 37, with ZMTP 3.0 peers per RFC 23) and of the
// PUSH, PULL, PUB, SUB, XPUB and XSUB socket types on top of it.
//
// The package exists because a log bus needs three properties at once that
// other pure-Go engines did not give together: it must never be crashed or
// exhausted by a hostile peer, it must never lose a message silently, and it
// must be fast enough that the transport is not the bottleneck. Each design
// choice below follows from one of these.
//
// # Hardening
//
// Frame sizes are checked against Options.MaxMsgSize as soon as the frame
// header is read, before any memory is reserved for the body, so a header
// that declares 2^62 bytes costs nothing. Handshakes run under a deadline;
// a bad greeting, an unknown or mismatched mechanism, an incompatible socket
// type, a protocol violation or a refused PLAIN login closes that one
// connection, is counted in Stats.Rejected and is reported once through
// Options.Logger. Listeners accept at most Options.MaxPeers peers.
//
// # Delivery guarantees
//
// Send copies every frame before it returns: the caller may reuse or modify
// its buffers immediately afterwards. Send and Recv take a context whose
// deadline or cancellation bounds their wait; TrySend never waits. A message accepted by Send is either
// written to a connected peer's TCP stream, still queued, or counted in
// Stats.Dropped with a reason. Queues are bounded in messages and in bytes
// (Options.SendHWM, Options.SendHWMBytes, and the receive equivalents).
// PUSH keeps messages in a socket-wide queue while no peer is connected and
// moves unsent messages of a lost peer back to that queue, so a restarted
// peer receives them after reconnection. PUB drops for a peer whose queue is
// full and counts the drops for that peer, unless Options.NoDrop asks it to
// wait instead.
//
// # Speed
//
// Messages are encoded into a per-peer buffer in their wire form while Send
// holds the peer's lock, and one writer goroutine per connection hands the
// whole accumulated buffer to the kernel in a single write, so many small
// messages share one system call. The receive side reads through a large
// buffered reader and hands batches of complete messages to the socket.
// Neither Send nor RecvInto allocates per message in steady state; Recv
// allocates the returned message (one buffer for all frames, and the
// frame slice).
//
// # Observability
//
// Stats reports counters (sent, received, queued, dropped by reason,
// connections rejected by reason) and, per connected peer, its queue and
// its drops. Options.Logger, when set, receives one record per failed or
// lost connection; the package logs nothing otherwise.
//
// # Endpoints
//
// Endpoints are "tcp://host:port" (IPv4, bracketed IPv6, "*" for every
// interface, port 0 for an ephemeral port whose value Socket.Endpoints reports)
// and, on Unix systems, "ipc:///path/to/socket"; "inproc://name" connects
// sockets of one process without the network. Either side may bind or
// connect, and connecting before the peer has bound works: the connecting
// side retries with exponential backoff between Options.ReconnectInterval
// and Options.ReconnectIntervalMax.
//
// # Locks
//
// Socket.mu is taken before a peer's mu, never after; the other locks are
// leaves. locksordering.txt beside this file lists them.
package zmtp
