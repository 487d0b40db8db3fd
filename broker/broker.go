package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/origin"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

// Broker forwards messages from publishers to subscribers. Create it with
// New, forward with Run, and release it with Close.
type Broker struct {
	cfg      Config
	ingest   *zmtp.Socket
	fanout   *zmtp.Socket
	archive  *zmtp.Socket // nil when disabled
	upstream *zmtp.Socket // nil when not configured
	lbookPub *zmtp.Socket // nil when not configured
	lbook    *logbookFanout

	singleTopic []byte
	upPrefixes  [][]byte

	// The links this broker numbers (package origin: the archive, and
	// the upstream connection), and scratch reused by the forwarding
	// loop, which alone touches them.
	arch, up  link
	originBuf []byte
	archMsg   zmtp.Msg
	chainBuf  []origin.Origin
	// hops: for messages from a broker downstream of us (a site's
	// --upstream), the last number seen on its link, to drop the copies
	// its replay window sends again after a reconnect.
	hops map[uint64]uint64
	// rejects reports rejected messages (rejects.go).
	rejects *rejects
	// last is what the last sender declared, read from its handshake
	// once: consecutive messages mostly share one.
	last sender

	running   atomic.Bool
	closeOnce sync.Once
	closeErr  error

	c counters
}

// counters are written by the forwarding loop only and read by Stats.
type counters struct {
	in, forwarded, singleFrame    atomic.Uint64
	badTopic, noPayload, notJSON  atomic.Uint64
	forgedOrigin, hopDuplicates   atomic.Uint64
	upSent, upDropped, upFiltered atomic.Uint64
	archiveTimeout                atomic.Uint64
	topics                        [topicSlots]atomic.Uint64
}

// New binds the broker's endpoints. Nothing is forwarded until Run.
func New(cfg *Config) (*Broker, error) {
	c := cfg.withDefaults()
	st, err := topic.Parse([]byte(c.SingleFrameTopic))
	if err != nil {
		return nil, fmt.Errorf("broker: single-frame topic: %w", err)
	}
	b := &Broker{cfg: c, singleTopic: []byte(st.String()), arch: newLink(), up: newLink(), hops: make(map[uint64]uint64)}
	b.rejects = newRejects(b, c.RejectReportInterval, c.RejectCopyRate)
	for _, p := range c.UpstreamPrefixes {
		b.upPrefixes = append(b.upPrefixes, []byte(p))
	}
	fail := func(err error) (*Broker, error) {
		return nil, errors.Join(err, b.Close())
	}
	base := zmtp.Options{
		MaxMsgSize:       c.MaxMessageSize,
		MaxPeers:         c.MaxPeers,
		HandshakeTimeout: c.HandshakeTimeout,
		Linger:           c.DrainTimeout,
		Logger:           c.Logger,
	}
	in := base
	in.RecvHWM = c.IngestQueue
	if len(c.IngestUsers) > 0 {
		in.PlainAuth = plainUsers(c.IngestUsers)
	}
	if b.ingest, err = bound(zmtp.PULL, &in, c.Ingest); err != nil {
		return fail(fmt.Errorf("broker: ingest: %w", err))
	}
	fo := base
	fo.SendHWM = c.FanoutQueue
	fo.SendHWMBytes = c.FanoutQueueBytes
	if b.fanout, err = bound(zmtp.PUB, &fo, c.Fanout); err != nil {
		return fail(fmt.Errorf("broker: fan-out: %w", err))
	}
	if c.Archive != "-" {
		ar := base
		// Subscribers that are not archivers are served like dashboards.
		ar.SendHWM = c.FanoutQueue
		ar.SendHWMBytes = c.FanoutQueueBytes
		// A connected archiver's queue stays small (a few MiB): a slow one
		// pushes back soon, and the queue's memory stays hot. Only what is
		// kept for an absent one grows to ArchiveHold.
		ar.Delivery = archiverDelivery(c.ArchiveQueue, queueBytes, len(c.ArchiveUsers) > 0)
		ar.MaxNoDrop = c.MaxArchivers
		ar.StallTimeout = c.ArchiveStallTimeout
		// What is queued for an archiver that went away (a crash), and what
		// arrives while it is away, goes to it when it returns: a
		// restarted sink misses only what was in the network.
		ar.Handover = c.ArchiveGrace
		ar.HandoverBytes = c.ArchiveHold
		// An archiver whose host died leaves no FIN: PINGs find it, so
		// that its name is free for it when it comes back.
		ar.HeartbeatInterval, ar.HeartbeatTimeout = archiveHeartbeat, 2*archiveHeartbeat
		if len(c.ArchiveUsers) > 0 {
			ar.PlainAuth = plainUsers(c.ArchiveUsers)
		}
		if b.archive, err = bound(zmtp.PUB, &ar, c.Archive); err != nil {
			return fail(fmt.Errorf("broker: archive: %w", err))
		}
	}
	if c.FanoutLogbook != "" {
		lb := base
		lb.SendHWM = c.FanoutQueue
		lb.SendHWMBytes = c.FanoutQueueBytes
		if b.lbookPub, err = bound(zmtp.PUB, &lb, c.FanoutLogbook); err != nil {
			return fail(fmt.Errorf("broker: logbook fan-out: %w", err))
		}
		b.lbook = newLogbookFanout(b.lbookPub, c.FanoutLogbookQueue)
	}
	if c.Upstream != "" {
		up := base
		up.SendHWM = c.UpstreamQueue
		up.SendHWMBytes = c.UpstreamHold
		// The upstream broker drops what it already has (by this link's
		// numbers): after a reconnect the newest messages go again, as
		// that broker may have died with them (kill -9).
		up.ReplayBytes = upstreamReplay
		up.Properties = map[string]string{origin.LinkProperty: strconv.FormatUint(b.up.id, 16)}
		up.PlainUsername, up.PlainPassword = c.UpstreamUsername, c.UpstreamPassword
		if b.upstream, err = zmtp.NewSocket(zmtp.PUSH, &up); err != nil {
			return fail(fmt.Errorf("broker: upstream: %w", err))
		}
		if err = b.upstream.Connect(c.Upstream); err != nil {
			return fail(fmt.Errorf("broker: upstream: %w", err))
		}
	}
	return b, nil
}

// upstreamReplay is the upstream link's replay window (zmtp
// Options.ReplayBytes).
const upstreamReplay = 4 << 20

// link is one numbered path (package origin): its id, drawn at start,
// and its counts of messages and of records from unnumbered senders.
type link struct {
	id, seq, unnumbered uint64
}

func newLink() link { return link{id: rand.Uint64() | 1} }

// next numbers one message of records records.
func (l *link) next(records int, numbered bool) {
	l.seq++
	if !numbered {
		l.unnumbered += uint64(records)
	}
}

// archiveHeartbeat is how often the archive PINGs its subscribers
// (ZMTP 3.1; libzmq and our subscriber answer): a dead archiver
// connection is found within three times that.
const archiveHeartbeat = 5 * time.Second

// queueBytes bounds each connected archiver's queue in bytes (besides
// its bound in messages): a slow archiver pushes back soon, and the
// queue's memory stays hot. Large enough for a few hundred batched
// messages.
const queueBytes = 4 << 20

func bound(t zmtp.Type, o *zmtp.Options, ep string) (*zmtp.Socket, error) {
	s, err := zmtp.NewSocket(t, o)
	if err != nil {
		return nil, err
	}
	if err := s.Bind(ep); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// Endpoints are where a broker listens, as the strings peers connect to:
// tcp with the port resolved (so a configured port 0 shows the real
// one), ipc and inproc as bound.
type Endpoints struct {
	Ingest  string // publishers connect here
	Fanout  string // dashboards and tail subscribe here
	Archive string // file sinks subscribe here; "" when the archive is disabled
	// FanoutLogbook: logbook ZeroMQSubscriber dashboards subscribe here; ""
	// when it is off.
	FanoutLogbook string
}

// Endpoints returns the endpoints the broker's sockets are bound to.
// They come from the sockets, never rebuilt from an address, so they are
// right for every transport.
func (b *Broker) Endpoints() Endpoints {
	first := func(s *zmtp.Socket) string {
		if eps := s.Endpoints(); len(eps) > 0 {
			return eps[0]
		}
		return ""
	}
	e := Endpoints{Ingest: first(b.ingest), Fanout: first(b.fanout)}
	if b.archive != nil {
		e.Archive = first(b.archive)
	}
	if b.lbookPub != nil {
		e.FanoutLogbook = first(b.lbookPub)
	}
	return e
}

// IngestAddr returns the ingest's bound address (useful with port 0).
func (b *Broker) IngestAddr() net.Addr { return b.ingest.Addr() }

// FanoutAddr returns the fan-out's bound address.
func (b *Broker) FanoutAddr() net.Addr { return b.fanout.Addr() }

// ArchiveAddr returns the archive endpoint's bound address, or nil when
// the archive is disabled.
func (b *Broker) ArchiveAddr() net.Addr {
	if b.archive == nil {
		return nil
	}
	return b.archive.Addr()
}

// Run forwards messages until ctx ends, then drains and returns: the
// ingest stops accepting connections and asks every publisher to hang up
// (zmtp.Socket.Drain: a TCP half-close, which logbus and libzmq
// publishers answer by sending the rest of their queue to their next
// connection, the restarted broker), and Run forwards everything they
// had already sent until the last one has hung up or DrainTimeout
// passes. Close then flushes the subscriber queues.
func (b *Broker) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("broker: Run called twice")
	}
	// Sends must outlive ctx: during the drain the archive may still need
	// to wait for room.
	sendCtx, cancelSends := context.WithCancel(context.Background())
	defer cancelSends()
	stopReports, reportsDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(reportsDone)
		b.rejects.run(stopReports)
	}()
	// The last summaries follow the drain: they count what it read.
	defer func() {
		close(stopReports)
		<-reportsDone
	}()
	if b.lbook != nil {
		stopLogbook := make(chan struct{})
		b.lbook.start(stopLogbook)
		defer func() {
			close(stopLogbook)
			<-b.lbook.done
		}()
	}
	var m zmtp.Msg
	for {
		from, err := b.ingest.RecvFrom(ctx, &m)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("broker: ingest: %w", err)
		}
		b.forward(sendCtx, m, from)
	}
	return b.drain(sendCtx, cancelSends, &m)
}

// drain is Run's end: see Run.
func (b *Broker) drain(sendCtx context.Context, cancelSends context.CancelFunc, m *zmtp.Msg) error {
	start := time.Now()
	peers := b.ingest.PeerCount()
	b.cfg.Logger.Info("broker draining", "publishers", peers, "timeout", b.cfg.DrainTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), b.cfg.DrainTimeout)
	defer cancel()
	// Past the deadline, forwarding no longer waits for an archiver.
	stop := context.AfterFunc(dctx, cancelSends)
	defer stop()
	// Read while publishers hang up: a full ingest queue would keep them
	// from reading the goodbye.
	rctx, stopReading := context.WithCancel(dctx)
	drained := make(chan error, 1)
	go func() {
		err := b.ingest.Drain(dctx)
		stopReading()
		drained <- err
	}()
	forwarded := b.c.in.Load()
	b.forwardUntil(rctx, sendCtx, m)
	err := <-drained
	// What the last publishers wrote before hanging up is queued: forward
	// it without waiting for more.
	b.forwardUntil(doneCtx, sendCtx, m)
	left := b.ingest.PeerCount()
	forwarded = b.c.in.Load() - forwarded
	if err != nil && left > 0 {
		b.cfg.Logger.Warn("broker drain timed out: publishers still connected are cut off (what they sent since is lost, and reported by subscribers as gaps for numbered streams)",
			"publishers", left, "messages", forwarded, "took", time.Since(start).Round(time.Millisecond))
		return nil
	}
	b.cfg.Logger.Info("broker drained", "messages", forwarded, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// forwardUntil forwards what ingest receives until receiving with ctx
// fails (ctx ended; with an ended ctx, once the queue is empty).
func (b *Broker) forwardUntil(ctx, sendCtx context.Context, m *zmtp.Msg) {
	for {
		from, err := b.ingest.RecvFrom(ctx, m)
		if err != nil {
			return
		}
		b.forward(sendCtx, *m, from)
	}
}

// doneCtx is already cancelled: receiving with it takes only what is
// queued.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// forward validates one message and hands it to every path.
func (b *Broker) forward(ctx context.Context, m zmtp.Msg, from *zmtp.PeerInfo) {
	b.c.in.Add(1)
	// Origin frames are kept from a broker downstream of us (its chain,
	// which our own frame extends) and taken off anything else: a
	// publisher cannot pose as a hop.
	var chain []origin.Origin
	var chainFrames zmtp.Msg
	if n := len(m); n >= 3 && origin.Is(m[n-1]) {
		var frames [][]byte
		frames, b.chainBuf = origin.Split(m, b.chainBuf)
		chainFrames = m[len(frames):]
		m = frames
		if id := b.senderOf(from).link; id != 0 && len(b.chainBuf) > 0 && b.chainBuf[len(b.chainBuf)-1].Link == id {
			chain = b.chainBuf
		} else {
			b.c.forgedOrigin.Add(1)
			chainFrames = nil
		}
	}
	switch {
	case len(m) == 1:
		if !codec.LooksLikeJSONObject(m[0]) {
			if _, err := topic.Parse(m[0]); err == nil {
				b.c.noPayload.Add(1)
				b.rejects.reject(from, logbus.RejectNoPayload, m)
			} else {
				b.c.notJSON.Add(1)
				b.rejects.reject(from, logbus.RejectNotJSON, m)
			}
			return
		}
		// logbook's ZeroMQHandler: one JSON object, no topic.
		m = zmtp.Msg{b.singleTopic, m[0]}
		b.c.singleFrame.Add(1)
	default:
		if _, err := topic.Parse(m[0]); err != nil {
			b.c.badTopic.Add(1)
			b.rejects.reject(from, logbus.RejectBadTopic, m)
			return
		}
		for _, f := range m[1:] {
			if len(f) == 0 {
				b.c.noPayload.Add(1)
				b.rejects.reject(from, logbus.RejectNoPayload, m)
				return
			}
		}
	}
	var numbered bool
	if len(chain) > 0 {
		last := &chain[len(chain)-1]
		if seen, ok := b.hops[last.Link]; ok && last.Seq <= seen {
			b.c.hopDuplicates.Add(1) // sent again after a reconnect: we have it
			return
		}
		if len(b.hops) >= maxHops {
			clear(b.hops) // a new run of links joins late: nothing is dropped
		}
		b.hops[last.Link] = last.Seq
		numbered = last.Numbered
	} else {
		numbered = b.senderOf(from).numbered
	}
	b.c.topics[topicSlot(m[0])].Add(1)
	b.c.forwarded.Add(1)
	if err := b.fanout.Send(ctx, m); err != nil {
		b.cfg.Logger.Warn("fan-out send failed", "err", err)
	}
	if b.lbook != nil && isLog(m[0]) {
		b.lbook.offer(m)
	}
	if b.archive != nil {
		b.arch.next(len(m)-1, numbered)
		if err := b.archive.Send(ctx, b.withOrigin(&b.arch, m, chainFrames, from, numbered)); err != nil {
			b.c.archiveTimeout.Add(1)
		}
	}
	if b.upstream != nil {
		b.toUpstream(m, chainFrames, from, numbered)
	}
}

// maxHops bounds the downstream links whose numbers the broker follows.
const maxHops = 1024

// sender is what a peer declared in its handshake that the broker acts
// on.
type sender struct {
	info *zmtp.PeerInfo
	// numbered: a logbus publisher, which numbers its records, declares
	// its stream (origin.StreamProperty).
	numbered bool
	// link: a broker's upstream connection declares its link
	// (origin.LinkProperty); 0 for none (no link id is 0). A downstream
	// broker's chains are kept only when their last hop is that link, so
	// a sender cannot pose as another's.
	link uint64
}

// senderOf returns what from declared (nothing, for nil).
func (b *Broker) senderOf(from *zmtp.PeerInfo) *sender {
	if from != b.last.info {
		b.last = sender{info: from}
		if from != nil {
			b.last.numbered = from.Properties[origin.StreamProperty] != ""
			if id, err := strconv.ParseUint(from.Properties[origin.LinkProperty], 16, 64); err == nil {
				b.last.link = id
			}
		}
	}
	return &b.last
}

// withOrigin returns m followed by the chain it came with and l's frame
// for it (package origin). l must have numbered it. The message and
// frame are scratch, valid until the next call; Send copies them.
func (b *Broker) withOrigin(l *link, m, chain zmtp.Msg, from *zmtp.PeerInfo, numbered bool) zmtp.Msg {
	var peer, user string
	arrival := time.Now().UnixNano()
	if len(chain) > 0 {
		// The first broker's view of the sender stands.
		first := &b.chainBuf[0]
		arrival = first.Arrival
		peer, user = string(first.Peer), string(first.User)
	} else if from != nil {
		peer, user = from.Remote, from.User
	}
	b.originBuf = origin.AppendFields(b.originBuf[:0], l.id, l.seq, l.unnumbered, arrival, numbered, peer, user)
	b.archMsg = append(append(append(b.archMsg[:0], m...), chain...), b.originBuf)
	return b.archMsg
}

func (b *Broker) toUpstream(m, chain zmtp.Msg, from *zmtp.PeerInfo, numbered bool) {
	if len(b.upPrefixes) > 0 && !hasAnyPrefix(m[0], b.upPrefixes) {
		b.c.upFiltered.Add(1)
		return
	}
	// Numbered before the send: a message dropped here shows upstream as
	// a gap in this link's numbers.
	b.up.next(len(m)-1, numbered)
	if err := b.upstream.TrySend(b.withOrigin(&b.up, m, chain, from, numbered)); err != nil { // never waits: counted, and seen as a gap
		b.c.upDropped.Add(1)
		return
	}
	b.c.upSent.Add(1)
}

func hasAnyPrefix(t []byte, ps [][]byte) bool {
	for _, p := range ps {
		if len(t) >= len(p) && string(t[:len(p)]) == string(p) {
			return true
		}
	}
	return false
}

// Close releases the endpoints: subscriber queues are flushed for up to
// DrainTimeout, then what remains is counted as dropped. It is idempotent
// and safe on a nil *Broker.
func (b *Broker) Close() error {
	if b == nil {
		return nil
	}
	b.closeOnce.Do(func() {
		// Close ingest first: nothing new arrives while the rest flushes.
		var errs []error
		for _, s := range []*zmtp.Socket{b.ingest, b.upstream, b.fanout, b.archive, b.lbookPub} {
			if s != nil {
				errs = append(errs, s.Close())
			}
		}
		b.closeErr = errors.Join(errs...)
		if b.upstream != nil {
			if st := b.Stats().Upstream; st.Unsent+st.Unconfirmed > 0 {
				b.cfg.Logger.Warn("messages for the upstream broker were not delivered (it was unreachable) and are lost: the queue is in memory",
					"messages", st.Unsent, "maybe_delivered", st.Unconfirmed, "upstream", b.cfg.Upstream)
			}
		}
	})
	return b.closeErr
}

// Logger returns the broker's logger.
func (b *Broker) Logger() *slog.Logger { return b.cfg.Logger }
