package broker_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/internal/testbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

// rejectedSeen gathers what a subscriber received: records by message,
// and the rejected reports.
type rejectedSeen struct {
	records            int
	copies             []logbus.Rejected
	summaries          []logbus.Rejected
	summarized, copied uint64
}

func (r *rejectedSeen) take(ev subscriber.Event) {
	switch ev.Kind {
	case subscriber.KindRecord:
		if ev.Record.Message != testbus.ProbeMessage {
			r.records++
		}
	case subscriber.KindRejected:
		if ev.Rejected.Summary {
			r.summaries = append(r.summaries, *ev.Rejected)
			r.summarized += ev.Rejected.Count
			r.copied += ev.Rejected.Copies
		} else {
			r.copies = append(r.copies, *ev.Rejected)
		}
	}
}

// readUntil reads s until done says so, failing the test after d.
func readUntil(t *testing.T, s *subscriber.Subscriber, seen *rejectedSeen, d time.Duration, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !done() {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("%v; seen %d records, %d copies, %d summaries counting %d", err, seen.records, len(seen.copies), len(seen.summaries), seen.summarized)
		}
		seen.take(ev)
	}
}

// TestRejectedTrafficReported (issue #16's input: pyzmq's logging
// PUBHandler on a PUSH socket sends [b"INFO", b"text"]): the broker logs
// the peer once, with an escaped preview; archivers get escaped copies
// at a bounded rate and summaries counting every message; a dashboard,
// even one filtering topics, gets the summaries only; the good traffic
// around the garbage is forwarded whole.
func TestRejectedTrafficReported(t *testing.T) {
	var logBuf testsupport.LockedBuffer
	b := testbus.StartBroker(t, &broker.Config{RejectReportInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	arch := testbus.Archiver(t, b.Archive(), "sink", nil)
	dash := testbus.Subscriber(t, b.Fanout(), &subscriber.Options{Filter: topic.Filter{Systems: []logbus.System{logbus.Production}}})
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, arch, dash)

	garbage := rawPush(t, b.Ingest())
	const n = 500
	const text = "motor hot \x1b[31mred\x1b[0m\n"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	for i := range n {
		if err := garbage.Send(ctx, zmtp.Msg{[]byte("INFO"), []byte(text)}); err != nil {
			t.Fatal(err)
		}
		p.Publish(&logbus.Record{Level: logbus.LevelInfo, Message: "good", Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(int64(i))}}})
	}
	var a, d rejectedSeen
	readUntil(t, arch, &a, 20*time.Second, func() bool { return a.records == n && a.summarized == n })
	elapsed := time.Since(start)
	readUntil(t, dash, &d, 20*time.Second, func() bool { return d.records == n && d.summarized == n })

	if st := b.Stats(); st.Rejected.BadTopic != n || st.Rejected.Copies != uint64(len(a.copies)) || st.Rejected.Copies+st.Rejected.NotCopied != n {
		t.Errorf("stats %+v; want %d bad_topic, %d copies", st.Rejected, n, len(a.copies))
	}
	// Copies: at least the burst, at most the bucket's bound, and the
	// summaries say how many there were.
	maxCopies := 10 + int(elapsed.Seconds()*10) + 1
	if len(a.copies) < 1 || len(a.copies) > maxCopies || uint64(len(a.copies)) != a.copied {
		t.Errorf("%d copies (summaries say %d), want 1-%d", len(a.copies), a.copied, maxCopies)
	}
	const preview = `["INFO" "motor hot \x1b[31mred\x1b[0m\n"]`
	for _, c := range a.copies {
		if c.Summary || c.Reason != logbus.RejectBadTopic || c.Count != 1 || c.Frames != 2 || c.Bytes != 4+len(text) ||
			c.Preview != preview || !strings.HasPrefix(c.Peer, "127.0.0.1:") || c.First.IsZero() {
			t.Fatalf("copy %+v", c)
		}
	}
	if d.copies != nil {
		t.Errorf("the fan-out carried %d copies: summaries only", len(d.copies))
	}
	for _, s := range d.summaries {
		if s.Reason != logbus.RejectBadTopic || s.Preview != preview || s.Last.Before(s.First) {
			t.Fatalf("summary %+v", s)
		}
	}
	// The broker's log: one warning for the episode, with the preview.
	testsupport.WaitFor(t, 10*time.Second, "the episode's end in the broker log", func() bool {
		return strings.Contains(logBuf.String(), "episode over")
	})
	logs := logBuf.String()
	if c := strings.Count(logs, "broker rejects messages from a peer"); c != 1 {
		t.Errorf("%d warnings, want 1 per episode:\n%s", c, logs)
	}
	if !strings.Contains(logs, `"preview":"[\"INFO\" \"motor hot \\x1b[31mred\\x1b[0m\\n\"]"`) || !strings.Contains(logs, `"messages":500`) {
		t.Errorf("log lines lack the preview or the count:\n%s", logs)
	}
}

// TestRejectedFloodNeverStalls: a peer flooding garbage while the only
// archiver reads nothing: the broker takes it all (copies never wait),
// and good messages still reach a dashboard.
func TestRejectedFloodNeverStalls(t *testing.T) {
	b := testbus.StartBroker(t, &broker.Config{ArchiveStallTimeout: time.Hour})
	stalled := testbus.Archiver(t, b.Archive(), "stalled", nil)
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, stalled, dash)
	garbage := rawPush(t, b.Ingest())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 50_000 // five times the archiver's queue
	for range n {
		if err := garbage.Send(ctx, zmtp.Msg{[]byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 30*time.Second, "the flood to be read", func() bool { return b.Stats().Rejected.NotJSON == n })
	p.Publish(&logbus.Record{Level: logbus.LevelWarn, Message: "still here"})
	var d rejectedSeen
	readUntil(t, dash, &d, 10*time.Second, func() bool { return d.records == 1 })
}

// TestRejectEpisodes: an episode is one sender host (a client that
// reconnects for every message is still one), it ends only after a
// report interval without a rejection, and a sender that never stops is
// copied in a burst and then once per interval.
func TestRejectEpisodes(t *testing.T) {
	var logBuf testsupport.LockedBuffer
	const interval = 300 * time.Millisecond
	b := testbus.StartBroker(t, &broker.Config{RejectReportInterval: interval,
		Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	arch := testbus.Archiver(t, b.Archive(), "sink", nil)
	testbus.Joined(t, testbus.Publisher(t, b.Ingest(), nil), arch)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// 50 connections, one message each: one episode, one warning.
	for range 50 {
		s, err := zmtp.NewSocket(zmtp.PUSH, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Connect(b.Ingest()); err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, zmtp.Msg{[]byte("INFO"), []byte("hello")}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "50 rejects", func() bool { return b.Stats().Rejected.BadTopic == 50 })
	// A steady sender, one message per tenth of an interval for four
	// intervals: the episode goes on (no second warning), and copies
	// slow to one per interval after the burst of 10.
	steady := rawPush(t, b.Ingest())
	for range 40 {
		if err := steady.Send(ctx, zmtp.Msg{[]byte("INFO"), []byte("steady")}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(interval / 10) // pacing the input, not waiting for a state
	}
	testsupport.WaitFor(t, 10*time.Second, "the episode's end", func() bool {
		return strings.Contains(logBuf.String(), "episode over")
	})
	logs := logBuf.String()
	if n := strings.Count(logs, "broker rejects messages from a peer"); n != 1 {
		t.Errorf("%d warnings for one sender host, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs, "episode over"); n != 1 {
		t.Errorf("%d episode ends, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs, `"messages":90`) {
		t.Errorf("the episode's end does not count 90 messages:\n%s", logs)
	}
	// 10 copies in the burst, then at most one per interval (the test ran
	// for about 4 intervals, plus the first 50 within one).
	if c := b.Stats().Rejected.Copies; c < 10 || c > 16 {
		t.Errorf("%d copies, want the burst of 10 and about one per interval after", c)
	}
}
