package publisher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/zmtp"
)

// ErrDropped is returned (wrapped, with counts) by Close when records
// were lost without a report on the bus: records still queued or
// unwritten when Close's context ended, or drop reports that could not
// be sent. Each such loss was also written to Options.Fallback.
var ErrDropped = errors.New("publisher: records dropped")

// errSenderBusy: the sender waits for room in the socket, so a report
// would not be taken either.
var errSenderBusy = errors.New("the connection's queue is full")

// Drop reports: the first report of an episode goes reportDelay after its
// first drop (a burst is one report, not one per record); while drops go
// on, at most one report per reportEvery. A report that cannot be queued
// (the socket is full too) is tried again every reportEvery.
const (
	reportDelay = 100 * time.Millisecond
	reportEvery = time.Second
)

// reporter is the drop reports' state, under mu.
type reporter struct {
	mu       sync.Mutex
	seq      uint64    // reports queued on the bus: their sequence numbers
	onBus    uint64    // drops covered by reports queued on the bus (written: Publisher.confirmed)
	written  uint64    // drops covered by lines written to Options.Fallback
	unsent   uint64    // reports not queued on the bus since the last that was (its counts cover theirs)
	last     time.Time // when the last report was queued
	writeErr error     // the first failed Fallback write
}

// reportLoop sends drop reports until ctx ends (Close sends the last).
func (p *Publisher) reportLoop(ctx context.Context) {
	defer close(p.repDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	retry := false
	for {
		if retry {
			t.Reset(reportEvery)
			select {
			case <-p.dropSig:
			case <-t.C:
			case <-ctx.Done():
				return
			}
			t.Stop()
		} else {
			select {
			case <-p.dropSig:
			case <-ctx.Done():
				return
			}
		}
		// Gather the burst, and keep to one report per reportEvery.
		p.rep.mu.Lock()
		wait := max(reportDelay, time.Until(p.rep.last.Add(reportEvery)))
		p.rep.mu.Unlock()
		t.Reset(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		retry = !p.reportDrops(false)
	}
}

// reportDrops reports the drops not yet reported: one WARN record on the
// publisher's report stream, queued without waiting, and a line on
// Options.Fallback when the bus is unreachable or the record cannot be
// queued. final also covers records dropped at Close. It reports false
// when drops remain unreported on the bus.
func (p *Publisher) reportDrops(final bool) bool {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	full := p.dropFull.Load()
	var closed uint64
	if final {
		closed = p.dropClosed.Load()
	}
	total := full + closed
	if total <= r.onBus {
		return true
	}
	n := total - r.onBus
	now := time.Now()
	msg := fmt.Sprintf("publisher dropped %d records (queue full)", n)
	if closed > 0 {
		msg = fmt.Sprintf("publisher dropped %d records (queue full, or not sent before Close's deadline)", n)
	}
	rec := logbus.Record{
		Envelope: logbus.Envelope{Time: now},
		Level:    logbus.LevelWarn,
		Logger:   "logbus.publisher",
		Message:  msg,
		Attrs: []logbus.Attr{
			{Key: "dropped", Value: logbus.Uint64Value(n)},
			{Key: "dropped_total", Value: logbus.Uint64Value(total)},
			{Key: "queue_full", Value: logbus.Uint64Value(full)},
			{Key: "closed", Value: logbus.Uint64Value(closed)},
			{Key: "stream", Value: logbus.StringValue(streamHex(p.stream))},
		},
	}
	pl := (*recordPayload)(&rec)
	t := p.fill(pl)
	rec.Stream, rec.Seq = p.reportStream, r.seq+1
	it := getItem()
	defer putItem(it)
	it.buf = t.AppendTo(it.buf[:0])
	it.topicLen = len(it.buf)
	it.buf = pl.appendTo(it.buf, p.opts.Encoding)
	reachable := p.sock.PeerCount() > 0
	err := errSenderBusy
	// The sender holds sendMu for each Send: briefly while the socket
	// takes messages, for as long as it waits when the socket is full
	// (then the report would not be taken either). Try for a while, a
	// report need not be immediate.
	locked := p.sendMu.TryLock()
	for i := 0; !locked && i < 100; i++ {
		time.Sleep(200 * time.Microsecond)
		locked = p.sendMu.TryLock()
	}
	if locked {
		err = p.sock.TrySend(zmtp.Msg{it.buf[:it.topicLen], it.buf[it.topicLen:]})
		if err == nil {
			p.track(flight{report: total})
		}
		p.sendMu.Unlock()
	}
	if err == nil {
		r.seq++
		r.onBus = total
		r.unsent = 0
		r.last = now
	} else {
		r.unsent++
	}
	if (err != nil || !reachable) && total > r.written {
		why := "broker unreachable"
		if reachable {
			why = "report not sent: " + err.Error()
		}
		p.fallback(now, total-r.written, total, why)
		r.written = total
	}
	return err == nil
}

// fallback writes one drop report line to Options.Fallback; r.mu held.
func (p *Publisher) fallback(now time.Time, n, total uint64, why string) {
	p.fallbackLine(now, fmt.Sprintf("dropped %d records (%d in all); %s", n, total, why))
}

// fallbackLine writes one WARN line about this publisher to
// Options.Fallback; r.mu held.
func (p *Publisher) fallbackLine(now time.Time, text string) {
	if p.opts.Fallback == nil {
		return
	}
	line := fmt.Sprintf("%s WARN logbus.publisher host=%s pid=%d stream=%s: %s\n",
		now.UTC().Format(time.RFC3339Nano), p.host, p.pid, streamHex(p.stream), text)
	if _, err := io.WriteString(p.opts.Fallback, line); err != nil && p.rep.writeErr == nil {
		p.rep.writeErr = fmt.Errorf("publisher: fallback report: %w", err)
	}
}

// closeReport is Close's account of what the bus was not told, after the
// socket closed: records unwritten at Close, drops without a report on
// the bus, reports that could not be sent. Each goes to Options.Fallback
// (once) and into the returned error.
func (p *Publisher) closeReport() error {
	r := &p.rep
	r.mu.Lock()
	defer r.mu.Unlock()
	transport := p.dropTransport.Load()
	total := p.dropFull.Load() + p.dropClosed.Load()
	// Told: what reports written to the connection covered.
	notOnBus := total - min(p.confirmed.Load(), total)
	if u := p.sock.Stats().Unconfirmed; u > 0 {
		// Not an error: they were written once, and may have arrived.
		p.fallbackLine(time.Now(), fmt.Sprintf("%d messages written to a broker that went away could not be sent again before Close: their records may be lost", u))
	}
	if transport == 0 && notOnBus == 0 && r.unsent == 0 {
		return r.writeErr
	}
	if all := total + transport; all > r.written {
		p.fallback(time.Now(), all-r.written, all, "at Close")
		r.written = all
	}
	err := fmt.Errorf("%w: %d not reported on the bus (queue full or not sent in time), %d handed to the connection but unwritten at Close; %d drop reports not sent",
		ErrDropped, notOnBus, transport, r.unsent)
	return errors.Join(err, r.writeErr)
}

func streamHex(id uint64) string { return strconv.FormatUint(id, 16) }
