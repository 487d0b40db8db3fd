package broker_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/internal/testbus"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/internal/vectors"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/subscriber"
	"github.com/logbus/logbus/zmtp"
)

func TestPublisherBrokerSubscriber(t *testing.T) {
	b := testbus.StartBroker(t, nil)
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	arch := testbus.Archiver(t, b.Archive(), "sink", nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, dash, arch)
	log := slog.New(p.Handler())
	const n = 5000
	for i := range n {
		log.Info("step", "i", i, "equipment", "scope-3")
	}
	for name, s := range map[string]*subscriber.Subscriber{"fan-out": dash, "archive": arch} {
		recs, gaps := collect(t, s, n, 20*time.Second)
		if len(gaps) != 0 {
			t.Errorf("%s: gaps %v", name, gaps)
		}
		for i, r := range recs {
			if v, _ := r.Attr("i"); v.Int64() != int64(i) || r.Equipment != "scope-3" || r.Stream != p.Stream() {
				t.Fatalf("%s: record %d: i=%v %+v", name, i, v, r.Envelope)
			}
		}
	}
	st := b.Stats()
	if st.Rejected.Total() != 0 || st.Topics["PLM"] == 0 || st.Forwarded != st.Topics["PLM"] {
		t.Errorf("stats %+v", st)
	}
}

// TestSlowDashboardDropsCountedAsGaps: a dashboard whose queue overflows
// loses records, the broker counts them for that peer, and the
// subscriber reports exactly that many missing. The archive, meanwhile,
// receives everything.
func TestSlowDashboardDropsCountedAsGaps(t *testing.T) {
	b := testbus.StartBroker(t, &broker.Config{FanoutQueue: 50, ArchiveQueue: 50})
	dash := testbus.Subscriber(t, b.Fanout(), &subscriber.Options{QueueMessages: 10})
	arch := testbus.Archiver(t, b.Archive(), "sink", &subscriber.Options{QueueMessages: 10})
	// One record per message, so that the broker's per-message drop count
	// can be compared with the records the dashboard misses.
	p := testbus.Publisher(t, b.Ingest(), &publisher.Options{QueueRecords: 100000, Batch: 1})
	testbus.Joined(t, p, dash, arch)
	const n = 20000
	for i := range n {
		p.Publish(&logbus.Record{Message: "r", Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(int64(i))}}})
	}
	// The archive gets all of them, in order, while nobody reads the
	// dashboard, whose queue at the broker stays within its bound.
	recs, gaps := collect(t, arch, n, 30*time.Second)
	if len(gaps) != 0 || len(recs) != n {
		t.Fatalf("archive: %d records, gaps %v", len(recs), gaps)
	}
	for _, peer := range b.Stats().Fanout.Peers {
		if peer.Queued > 50 {
			t.Errorf("dashboard queue holds %d messages, bound 50", peer.Queued)
		}
	}
	// Now read the dashboard: what it missed must show up as gaps. Drain
	// what it has, then one more record ends the run so that drops at the
	// tail show up as a gap too.
	var got int
	var missing uint64
	read := func(d time.Duration, until string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		for {
			ev, err := dash.Next(ctx)
			if err != nil {
				return false
			}
			switch ev.Kind {
			case subscriber.KindRecord:
				if ev.Record.Message == until {
					return true
				}
				if ev.Record.Message != "probe" {
					got++
				}
			case subscriber.KindGap:
				missing += ev.Gap.Missing
			}
		}
	}
	for read(300*time.Millisecond, "") {
	}
	p.Publish(&logbus.Record{Message: "end"})
	if !read(10*time.Second, "end") {
		t.Fatalf("end marker never arrived (%d records, %d missing)", got, missing)
	}
	if got+int(missing) != n {
		t.Errorf("dashboard: %d received + %d missing != %d published", got, missing, n)
	}
	perPeer := uint64(0)
	for _, peer := range b.Stats().Fanout.Peers {
		perPeer += peer.Dropped
	}
	if missing == 0 || missing != perPeer || perPeer != b.Stats().Fanout.Dropped.QueueFull {
		t.Errorf("dashboard: %d received, %d reported missing; broker dropped %d for its peer (%d in total)", got, missing, perPeer, b.Stats().Fanout.Dropped.QueueFull)
	}
	if st := p.Stats(); st.Dropped.Total() != 0 {
		t.Errorf("publisher dropped %+v: the archive's back-pressure must not cost records here", st.Dropped)
	}
}

func TestSingleFrameAndRejects(t *testing.T) {
	b := testbus.StartBroker(t, nil)
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, dash)
	raw := rawPush(t, b.Ingest())
	ctx := context.Background()
	send := func(frames ...string) {
		t.Helper()
		var m zmtp.Msg
		for _, f := range frames {
			m = append(m, []byte(f))
		}
		if err := raw.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	send("XLJ", "{}") // bad topic
	send("PLJ")       // topic without payload
	send("hello")     // not JSON
	send("PLJ", "")   // empty payload
	send(`{"channel":"app","level":14,"message":"from logbook","time":"2024-01-02T03:04:05Z","extra":{}}`)
	recs, _ := collect(t, dash, 1, 10*time.Second)
	if recs[0].Message != "from logbook" || recs[0].Level != logbus.LevelError {
		t.Errorf("single frame: %+v", recs[0])
	}
	testsupport.WaitFor(t, 5*time.Second, "rejects counted", func() bool { return b.Stats().Rejected.Total() == 4 })
	st := b.Stats()
	r := st.Rejected
	// Each is copied to the archive (kept there for its first archiver);
	// of the three episodes (one per reason), two open with a summary at
	// once (the bucket's burst), the third at the next tick.
	if r.BadTopic != 1 || r.NoPayload != 2 || r.NotJSON != 1 || r.Copies != 4 || r.NotCopied != 0 || r.Summaries != 2 || st.SingleFrame != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestLogbookVectorsThroughBroker replays logbook's captured frames.
func TestLogbookVectorsThroughBroker(t *testing.T) {
	vs, _, err := vectors.Load("logbook_zmq_push")
	if err != nil {
		t.Fatal(err)
	}
	b := testbus.StartBroker(t, nil)
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, dash)
	raw := rawPush(t, b.Ingest())
	for _, v := range vs {
		if err := raw.Send(context.Background(), v.Frames); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := collect(t, dash, len(vs), 10*time.Second)
	if recs[2].Level != logbus.LevelError || !strings.Contains(recs[2].Error, "ZeroDivisionError") {
		t.Errorf("logbook exception record: %+v", recs[2])
	}
}

// TestHostileTraffic: garbage on both ports while a publisher streams.
func TestHostileTraffic(t *testing.T) {
	b := testbus.StartBroker(t, &broker.Config{HandshakeTimeout: 300 * time.Millisecond})
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, dash)

	hostile := func(addr net.Addr, payload []byte) {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(payload); err != nil {
			return // the broker may already have hung up: fine
		}
		if err := c.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, c); err != nil {
			return
		}
	}
	junk := make([]byte, 4096)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	// A valid greeting, then a long frame header claiming 2^62 bytes.
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10], greeting[11] = 0xff, 0x7f, 3, 1
	copy(greeting[12:], "NULL")
	huge := append(append([]byte{}, greeting...), 0x06)
	huge = binary.BigEndian.AppendUint64(huge, 1<<62)

	log := slog.New(p.Handler())
	const n = 3000
	stop := make(chan struct{})
	attacked := make(chan struct{})
	go func() {
		defer close(attacked)
		for _, addr := range []net.Addr{b.IngestAddr(), b.FanoutAddr()} {
			hostile(addr, junk)
			hostile(addr, []byte("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"))
			hostile(addr, huge)
			hostile(addr, greeting[:10]) // half a greeting, then silence
		}
		<-stop
	}()
	for i := range n {
		log.Info("honest", "i", i)
	}
	recs, gaps := collect(t, dash, n, 20*time.Second)
	close(stop)
	<-attacked
	if len(gaps) != 0 || len(recs) != n {
		t.Errorf("honest stream: %d records, gaps %v", len(recs), gaps)
	}
	st := b.Stats()
	if st.Ingest.Rejected.Total() < 3 || st.Fanout.Rejected.Total() < 3 {
		t.Errorf("connection rejects not counted: ingest %+v fanout %+v", st.Ingest.Rejected, st.Fanout.Rejected)
	}
}

func TestUpstream(t *testing.T) {
	upstream := testbus.StartBroker(t, nil)
	site := testbus.StartBroker(t, &broker.Config{Upstream: upstream.Ingest(), UpstreamPrefixes: []string{"P"}})
	dash := testbus.Subscriber(t, upstream.Fanout(), nil)
	p := testbus.Publisher(t, site.Ingest(), nil)
	testbus.Joined(t, p, dash)
	test := testbus.Publisher(t, site.Ingest(), &publisher.Options{System: logbus.Test})
	test.Publish(&logbus.Record{Message: "test system: stays on site"})
	p.Publish(&logbus.Record{Message: "production: goes up"})
	recs, _ := collect(t, dash, 1, 10*time.Second)
	if recs[0].Message != "production: goes up" {
		t.Errorf("upstream received %q", recs[0].Message)
	}
	testsupport.WaitFor(t, 5*time.Second, "filtered count", func() bool { return site.Stats().Upstream.Filtered >= 1 })
}

func TestMetricsAndHealth(t *testing.T) {
	b := testbus.StartBroker(t, nil)
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/metrics": "logbus_broker_messages_in_total",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if cerr := resp.Body.Close(); cerr != nil {
			t.Error(cerr)
		}
		if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %v, want %q in:\n%.500s", path, resp.StatusCode, err, want, body)
		}
	}
}

// TestGracefulStopDrains: records published before the broker is told to
// stop all reach subscribers.
func TestGracefulStopDrains(t *testing.T) {
	b := testbus.StartBroker(t, nil)
	arch := testbus.Archiver(t, b.Archive(), "sink", nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, arch)
	const n = 2000
	for range n {
		p.Publish(&logbus.Record{Message: "before stop"})
	}
	testsupport.WaitFor(t, 10*time.Second, "publisher sent", func() bool { return p.Stats().Queued == 0 && p.Stats().Sent >= n })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b.Stop(t)
	recs, gaps := collect(t, arch, n, 10*time.Second)
	if len(recs) != n || len(gaps) != 0 {
		t.Errorf("%d records, gaps %v", len(recs), gaps)
	}
}

// TestNoArchiverHoldsNothing: with no archiver connected, dashboards
// receive at once (nothing waits for the archive grace), and an archiver
// that connects within the grace still receives everything from the
// first record.
func TestNoArchiverHoldsNothing(t *testing.T) {
	b := testbus.StartBroker(t, &broker.Config{ArchiveGrace: time.Minute})
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	testbus.Joined(t, testbus.Publisher(t, b.Ingest(), nil), dash)
	p := testbus.Publisher(t, b.Ingest(), nil)
	const n = 500
	for range n {
		p.Publish(&logbus.Record{Message: "early"})
	}
	// Far less than the grace: the fan-out does not wait for archivers.
	if recs, gaps := collect(t, dash, n, 10*time.Second); len(recs) != n || len(gaps) != 0 {
		t.Fatalf("dashboard: %d records, gaps %v", len(recs), gaps)
	}
	arch := testbus.Archiver(t, b.Archive(), "sink", nil)
	recs, gaps := collect(t, arch, n, 10*time.Second)
	if len(recs) != n || len(gaps) != 0 || recs[0].Seq != 1 {
		t.Errorf("late archiver: %d records, gaps %v, first seq %d", len(recs), gaps, recs[0].Seq)
	}
}

// TestIngestAuthentication: with ingest users set, a publisher with the
// right credentials gets through; wrong or missing credentials are
// refused and counted.
func TestIngestAuthentication(t *testing.T) {
	b := testbus.StartBroker(t, &broker.Config{IngestUsers: map[string]string{"lab7": "s3cret"}})
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	good := testbus.Publisher(t, b.Ingest(), &publisher.Options{PlainUsername: "lab7", PlainPassword: "s3cret"})
	testbus.Joined(t, good, dash)
	refusedPub := func(opts *publisher.Options) *publisher.Publisher {
		if opts == nil {
			opts = &publisher.Options{}
		}
		opts.Fallback = new(testsupport.LockedBuffer)
		p, err := publisher.New(b.Ingest(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // its records can never leave: do not wait for them
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := p.Close(ctx); !errors.Is(err, publisher.ErrDropped) {
				t.Errorf("Close of a refused publisher: %v, want ErrDropped", err)
			}
		})
		return p
	}
	bad := refusedPub(&publisher.Options{PlainUsername: "lab7", PlainPassword: "guess"})
	none := refusedPub(nil)
	bad.Publish(&logbus.Record{Message: "from a wrong password"})
	none.Publish(&logbus.Record{Message: "from nobody"})
	testsupport.WaitFor(t, 10*time.Second, "refusals counted", func() bool {
		r := b.Stats().Ingest.Rejected
		return r.Auth >= 1 && r.Mechanism >= 1
	})
	good.Publish(&logbus.Record{Message: "authenticated"})
	recs, _ := collect(t, dash, 1, 10*time.Second)
	if recs[0].Message != "authenticated" {
		t.Errorf("received %q", recs[0].Message)
	}
}

// rawPush is a bare PUSH socket connected to ep, for sending frames the
// publisher would never send.
func rawPush(t *testing.T, ep string) *zmtp.Socket {
	t.Helper()
	raw, err := zmtp.NewSocket(zmtp.PUSH, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := raw.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := raw.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return raw
}
