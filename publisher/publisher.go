package publisher

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/origin"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

// Errors returned by New.
var (
	ErrOptions = errors.New("publisher: bad options")
)

// Publisher sends records and samples to a broker. It is safe for
// concurrent use.
type Publisher struct {
	sock     *zmtp.Socket
	opts     Options
	host     string
	pid      int64
	stream   uint64
	maxBytes int64

	// mu orders sequence numbers with queue order: a record's number is
	// drawn and the record queued in one step, so numbers reach the wire
	// in order. Only holders of mu send on q.
	mu     sync.Mutex
	closed bool
	seqs   map[string]*uint64
	q      chan *item
	qBytes atomic.Int64
	space  chan struct{} // a token after the sender frees room

	cancel    context.CancelFunc // ends the sender's wait in Close
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	sent, dropFull, dropClosed, dropTransport atomic.Uint64

	// Drop reports (report.go) go on a stream of their own, so that they
	// need no place in the full queue they report on and are numbered
	// among themselves: a lost report shows as a gap.
	reportStream uint64
	dropSig      chan struct{} // capacity 1: a drop to report
	repDone      chan struct{} // closed when the reporter ends
	rep          reporter
	// sendMu orders what is handed to the socket with inflight: the
	// sender holds it for each Send, a report takes it only if free.
	sendMu sync.Mutex
	// confirmed is the drop total covered by drop reports known written.
	confirmed atomic.Uint64

	// inflight holds the record count of each message handed to the
	// socket and not yet known to be written (sender only; Close reads it
	// after the sender has ended); trimmed counts messages forgotten.
	inflight []flight
	trimmed  uint64
}

// item is one queued message: the topic frame followed by the payload.
type item struct {
	buf      []byte
	topicLen int
}

// maxPooledBuf keeps the pool from holding on to buffers grown by a rare
// huge record.
const maxPooledBuf = 64 << 10

var itemPool = sync.Pool{New: func() any { return &item{buf: make([]byte, 0, 512)} }}

func getItem() *item { return itemPool.Get().(*item) }

func putItem(it *item) {
	if cap(it.buf) <= maxPooledBuf {
		it.buf = it.buf[:0]
		itemPool.Put(it)
	}
}

// New connects a publisher to endpoint (DefaultEndpoint when empty). The
// broker need not be up: records queue until it is, and the connection is
// redialled whenever it is lost.
func New(endpoint string, opts *Options) (*Publisher, error) {
	o := opts.withDefaults()
	if o.Encoding != topic.Msgpack && o.Encoding != topic.JSON {
		return nil, fmt.Errorf("%w: encoding %q (want M or J)", ErrOptions, byte(o.Encoding))
	}
	if !o.System.Valid() {
		return nil, fmt.Errorf("%w: system %q", ErrOptions, byte(o.System))
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	host := o.Host
	if host == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "unknown"
		}
		host = h
	}
	stream := newStreamID()
	sock, err := zmtp.NewSocket(zmtp.PUSH, &zmtp.Options{
		// The publisher's own queue absorbs bursts; the socket only needs
		// a transmit buffer, and a small one stays reused instead of
		// being regrown for every write.
		SendHWMBytes: 1 << 20,
		ReplayBytes:  max(o.ReplayBytes, 0),
		// The broker counts what the link after it loses of senders that
		// do not number their records; ours do.
		Properties:           map[string]string{origin.StreamProperty: streamHex(stream)},
		Linger:               -1, // Close waits itself, bounded by its context
		PlainUsername:        o.PlainUsername,
		PlainPassword:        o.PlainPassword,
		ReconnectInterval:    o.ReconnectInterval,
		ReconnectIntervalMax: o.ReconnectIntervalMax,
	})
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	if err := sock.Connect(endpoint); err != nil {
		if cerr := sock.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, fmt.Errorf("publisher: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Publisher{
		sock:         sock,
		opts:         o,
		host:         host,
		pid:          int64(os.Getpid()),
		stream:       stream,
		reportStream: newStreamID(),
		dropSig:      make(chan struct{}, 1),
		repDone:      make(chan struct{}),
		maxBytes:     int64(o.QueueBytes),
		seqs:         make(map[string]*uint64),
		q:            make(chan *item, o.QueueRecords),
		space:        make(chan struct{}, 1),
		cancel:       cancel,
		done:         make(chan struct{}),
	}
	go p.run(ctx)
	go p.reportLoop(ctx)
	return p, nil
}

func newStreamID() uint64 {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			// crypto/rand does not fail on supported platforms; fall back
			// to the clock rather than refuse to log.
			return uint64(time.Now().UnixNano()) | 1
		}
		if id := binary.LittleEndian.Uint64(b[:]); id != 0 {
			return id
		}
	}
}

// Stream returns the publisher's stream id.
func (p *Publisher) Stream() uint64 { return p.stream }

// Host returns the host name the publisher puts in records.
func (p *Publisher) Host() string { return p.host }

// payload is a Record or a Sample on its way to the queue.
type payload interface {
	envelope() *logbus.Envelope
	kind() topic.Kind
	appendTo(dst []byte, enc topic.Encoding) []byte
}

type recordPayload logbus.Record

func (r *recordPayload) envelope() *logbus.Envelope { return &r.Envelope }
func (r *recordPayload) kind() topic.Kind           { return topic.Log }
func (r *recordPayload) appendTo(dst []byte, enc topic.Encoding) []byte {
	if enc == topic.JSON {
		return codec.AppendRecordJSON(dst, (*logbus.Record)(r))
	}
	return codec.AppendRecordMsgpack(dst, (*logbus.Record)(r))
}

type samplePayload logbus.Sample

func (s *samplePayload) envelope() *logbus.Envelope { return &s.Envelope }
func (s *samplePayload) kind() topic.Kind           { return topic.Sample }
func (s *samplePayload) appendTo(dst []byte, enc topic.Encoding) []byte {
	if enc == topic.JSON {
		return codec.AppendSampleJSON(dst, (*logbus.Sample)(s))
	}
	return codec.AppendSampleMsgpack(dst, (*logbus.Sample)(s))
}

// Publish queues r without waiting. The publisher fills in the host and
// pid when r leaves them empty and sets the stream and sequence number; a
// zero time stays zero (unknown). It reports false when r was dropped (queue full or publisher closed); the
// drop is counted either way.
func (p *Publisher) Publish(r *logbus.Record) bool {
	return p.submit(context.Background(), (*recordPayload)(r), 0)
}

// PublishWait queues r, waiting up to wait for room when the queue is full
// (wait < 0: until ctx ends).
func (p *Publisher) PublishWait(ctx context.Context, r *logbus.Record, wait time.Duration) bool {
	return p.submit(ctx, (*recordPayload)(r), wait)
}

// PublishSample queues s without waiting, like Publish.
func (p *Publisher) PublishSample(s *logbus.Sample) bool {
	return p.submit(context.Background(), (*samplePayload)(s), 0)
}

// fill completes an envelope and returns its topic.
func (p *Publisher) fill(pl payload) topic.Topic {
	env := pl.envelope()
	if env.Host == "" {
		env.Host = p.host
	}
	if env.PID == 0 {
		env.PID = p.pid
	}
	env.Stream = p.stream
	t := topic.Topic{System: p.opts.System, Kind: pl.kind(), Encoding: p.opts.Encoding}
	if logbus.ValidName(env.Equipment) {
		// An id that cannot route stays in the payload only; the file
		// sink refuses it as a path and logs the record centrally.
		t.Equipment = env.Equipment
	}
	return t
}

// encodeLocked numbers and encodes pl into it; p.mu must be held. It
// returns the counter to advance once the item is accepted.
func (p *Publisher) encodeLocked(it *item, pl payload) *uint64 {
	t := it.buf[:it.topicLen]
	seq, ok := p.seqs[string(t)]
	if !ok {
		seq = new(uint64)
		p.seqs[string(t)] = seq
	}
	pl.envelope().Seq = *seq + 1
	it.buf = pl.appendTo(it.buf[:it.topicLen], p.opts.Encoding)
	if len(it.buf)-it.topicLen > maxRecordBytes {
		it.buf = shrink(pl, it.buf[:it.topicLen], p.opts.Encoding, len(it.buf)-it.topicLen)
	}
	return seq
}

func (p *Publisher) submit(ctx context.Context, pl payload, wait time.Duration) bool {
	t := p.fill(pl)
	it := getItem()
	it.buf = t.AppendTo(it.buf[:0])
	it.topicLen = len(it.buf)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			putItem(it)
			p.dropClosed.Add(1)
			return false
		}
		seq := p.encodeLocked(it, pl)
		size := int64(len(it.buf))
		if len(p.q) < cap(p.q) && (p.qBytes.Load() == 0 || p.qBytes.Load()+size <= p.maxBytes) {
			*seq++
			p.qBytes.Add(size)
			p.q <- it // cannot block: only holders of mu send, and there is room
			p.mu.Unlock()
			return true
		}
		p.mu.Unlock()
		if wait == 0 {
			putItem(it)
			p.dropFull.Add(1)
			select {
			case p.dropSig <- struct{}{}:
			default:
			}
			return false
		}
		if timer == nil && wait > 0 {
			timer = time.NewTimer(wait)
		}
		var expired <-chan time.Time
		if timer != nil {
			expired = timer.C
		}
		select {
		case <-p.space:
		case <-expired:
			wait = 0
		case <-ctx.Done():
			wait = 0
		}
	}
}

// run is the sender goroutine: it hands queued items to the socket in
// order.
func (p *Publisher) run(ctx context.Context) {
	defer close(p.done)
	b := batcher{frames: make(zmtp.Msg, 0, 1+p.opts.Batch)}
	open := true
	for open || b.carry != nil {
		var it *item
		if b.carry != nil {
			it, b.carry = b.carry, nil
		} else if it, open = <-p.q; !open {
			break
		}
		open = p.sendBatch(ctx, &b, it) && open
	}
}

// batcher holds the sender's scratch space: the records gathered from the
// queue, grouped by topic, in the order the topics first came.
type batcher struct {
	frames zmtp.Msg
	groups []batchGroup
	carry  *item // taken from the queue but not gathered: the next batch's first
}

type batchGroup struct {
	topic []byte
	items []*item
	size  int
}

// batchBytes bounds the payload bytes of one batched message; maxTopics
// bounds the topics gathered at once (a publisher serving many
// instruments interleaves them).
const (
	batchBytes = 64 << 10
	maxTopics  = 16
)

// sendBatch sends it, together with the records already waiting behind
// it, as one message per topic: the topic frame and one frame per record,
// up to Options.Batch records and batchBytes per message. Records of other
// topics in between are gathered too (up to maxTopics topics): a publisher
// cycling through ten instruments still sends full batches. Each topic's
// records keep their order (their sequence numbers are per topic); the
// order between topics may change, as it does between publishers.
// Batching happens only under load, when the queue has a backlog, and
// cuts the per-message cost at every hop. It reports false when the queue
// was found closed.
func (p *Publisher) sendBatch(ctx context.Context, b *batcher, it *item) bool {
	open := true
	for i := range b.groups {
		b.groups[i].items = b.groups[i].items[:0]
	}
	b.groups = b.groups[:0]
	b.add(it)
	limit := p.opts.Batch * maxTopics
gather:
	for n := 1; n < limit; n++ {
		select {
		case nx, ok := <-p.q:
			if !ok {
				open = false
				break gather
			}
			g := b.group(nx.buf[:nx.topicLen])
			switch {
			case g == nil && len(b.groups) == maxTopics,
				g != nil && (len(g.items) >= p.opts.Batch || g.size >= batchBytes):
				b.carry = nx // a full group, or one topic too many: it starts the next round
				break gather
			}
			b.add(nx)
		default:
			break gather
		}
	}
	freed := 0
	for gi := range b.groups {
		g := &b.groups[gi]
		b.frames = append(b.frames[:0], g.topic)
		for _, x := range g.items {
			b.frames = append(b.frames, x.buf[x.topicLen:])
		}
		p.sendMu.Lock()
		err := p.sock.Send(ctx, b.frames)
		if err == nil {
			p.track(flight{records: uint32(len(g.items))})
		}
		p.sendMu.Unlock()
		for _, x := range g.items {
			freed += len(x.buf)
		}
		n := uint64(len(g.items))
		if err != nil {
			p.dropClosed.Add(n)
		} else {
			p.sent.Add(n)
		}
		// Each message's room goes back at once, as a waiting Publish
		// needs it.
		for _, x := range g.items {
			putItem(x)
		}
		clear(g.items)
		g.topic = nil
		p.qBytes.Add(-int64(freed))
		freed = 0
		select {
		case p.space <- struct{}{}:
		default:
		}
	}
	clear(b.frames)
	return open
}

// group returns the group of topic t, or nil.
func (b *batcher) group(t []byte) *batchGroup {
	for i := range b.groups {
		if string(b.groups[i].topic) == string(t) {
			return &b.groups[i]
		}
	}
	return nil
}

// add puts x into its topic's group, opening one if needed.
func (b *batcher) add(x *item) {
	t := x.buf[:x.topicLen]
	g := b.group(t)
	if g == nil {
		if len(b.groups) < cap(b.groups) {
			b.groups = b.groups[:len(b.groups)+1] // reuse the slot and its items slice
		} else {
			b.groups = append(b.groups, batchGroup{})
		}
		g = &b.groups[len(b.groups)-1]
		g.items, g.size = g.items[:0], 0
	}
	g.topic = t
	g.items = append(g.items, x)
	g.size += len(x.buf)
}

// flight is one message handed to the socket and not yet known written:
// its records, or for a drop report (no records) the drop total it
// covers.
type flight struct {
	records uint32
	report  uint64
}

// track remembers each message handed to the socket, in order, until
// the socket reports it written: if Close must abandon messages, the
// records they held are counted exactly, and a drop report counts as told
// only once written. The socket's counters are read every 256 messages
// to forget the written ones. sendMu held.
func (p *Publisher) track(f flight) {
	p.inflight = append(p.inflight, f)
	if len(p.inflight)%256 == 0 {
		p.trimInflight(p.sock.Stats())
	}
}

// trimInflight forgets the messages among the first written that the
// socket has written (it counts each message once, however often the
// replay window sends it); a written drop report confirms its total.
// sendMu held, or the sender and reporter ended.
func (p *Publisher) trimInflight(st zmtp.Stats) {
	if st.Sent <= p.trimmed {
		return
	}
	k := min(st.Sent-p.trimmed, uint64(len(p.inflight)))
	for _, f := range p.inflight[:k] {
		if f.report > p.confirmed.Load() {
			p.confirmed.Store(f.report)
		}
	}
	p.inflight = p.inflight[k:]
	p.trimmed += k
	if cap(p.inflight) > 4096 && len(p.inflight) < cap(p.inflight)/4 {
		p.inflight = append([]flight(nil), p.inflight...)
	}
}

// Close stops accepting records, sends what is queued until ctx ends, and
// closes the connection. Records still queued when ctx ends are counted
// as dropped (Closed, or Transport for those the socket held). A last
// drop report covers drops not yet reported; whatever the bus could not
// be told (those records, a report that could not be sent) is written to
// Options.Fallback and returned as ErrDropped with the counts. Close is
// idempotent and safe on a nil *Publisher.
func (p *Publisher) Close(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		close(p.q)
		p.mu.Unlock()
		select {
		case <-p.done:
		case <-ctx.Done():
		}
		// Wait for the socket to write what it holds, within ctx.
		tick := time.NewTicker(2 * time.Millisecond)
		for p.sock.Stats().Queued > 0 && ctx.Err() == nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		p.cancel()
		<-p.done
		<-p.repDone
		// The last drop report, while there is time to write it.
		if ctx.Err() == nil && p.sock.PeerCount() > 0 {
			p.reportDrops(true)
		}
		for p.sock.Stats().Queued > 0 && ctx.Err() == nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		tick.Stop()
		closeErr := p.sock.Close()
		// Messages the socket had not written when it closed held these
		// records.
		p.trimInflight(p.sock.Stats())
		var lost uint64
		for _, f := range p.inflight {
			lost += uint64(f.records)
		}
		p.dropTransport.Store(lost)
		p.closeErr = errors.Join(closeErr, p.closeReport())
	})
	return p.closeErr
}

// Stats is a snapshot of a publisher's counters.
type Stats struct {
	Stream uint64
	// Sent counts records handed to the connection (the transport writes
	// them or counts them in Dropped.Transport).
	Sent uint64
	// Queued counts records waiting in the publisher's queue.
	Queued int
	// Connected is the number of brokers currently connected (0 or 1).
	Connected int
	// Dropped counts records that were not sent, by reason.
	Dropped DropStats
}

// DropStats counts dropped records by reason.
type DropStats struct {
	QueueFull uint64 // the queue was full when the record was published
	Closed    uint64 // published after Close, or still queued when Close's context ended
	Transport uint64 // accepted by the connection but unwritten at Close
}

// Total is the sum of all reasons.
func (d DropStats) Total() uint64 { return d.QueueFull + d.Closed + d.Transport }

// Stats returns the publisher's counters.
func (p *Publisher) Stats() Stats {
	return Stats{
		Stream:    p.stream,
		Sent:      p.sent.Load(),
		Queued:    len(p.q),
		Connected: p.sock.PeerCount(),
		Dropped: DropStats{
			QueueFull: p.dropFull.Load(),
			Closed:    p.dropClosed.Load(),
			Transport: p.dropTransport.Load(),
		},
	}
}
