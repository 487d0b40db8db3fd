package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/topic"
)

func TestRecordsArriveInOrder(t *testing.T) {
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, &Options{Host: "lab-7"})
	log := slog.New(p.Handler())
	ctx := WithRun(WithEquipment(context.Background(), "scope-3"), logbus.Run{Project: "p1", Kind: "cal", ID: "r1"})
	const n = 2000
	for i := range n {
		log.InfoContext(ctx, "step", "i", i)
	}
	recs := pl.records(n, 10*time.Second)
	for i, r := range recs {
		if r.Seq != uint64(i+1) || r.Stream != p.Stream() {
			t.Fatalf("record %d: stream %x seq %d", i, r.Stream, r.Seq)
		}
		if v, _ := r.Attr("i"); v.Int64() != int64(i) {
			t.Fatalf("record %d carries i=%v", i, v)
		}
		if r.Equipment != "scope-3" || r.Run != (logbus.Run{Project: "p1", Kind: "cal", ID: "r1"}) || r.Host != "lab-7" || r.PID == 0 {
			t.Fatalf("envelope %+v", r.Envelope)
		}
	}
	if st := p.Stats(); st.Sent != n || st.Dropped.Total() != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTopicCarriesEquipment(t *testing.T) {
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, &Options{System: logbus.Staging, Encoding: topic.JSON})
	log := slog.New(p.Handler())
	log.Warn("a", "equipment", "scope-3")
	log.Warn("b", "equipment", "../etc") // not routable: payload only
	log.Warn("c")
	want := []string{"SLJ/scope-3/", "SLJ", "SLJ"}
	for i, r := range pl.topicRecords(3, 5*time.Second) {
		if r.topic != want[i] {
			t.Errorf("record %d topic %q want %q", i, r.topic, want[i])
		}
		if i == 1 && r.Equipment != "../etc" {
			t.Errorf("hostile equipment id lost from the payload: %+v", r.Record)
		}
		// Each topic is numbered on its own.
		if seq := r.Seq; seq != map[int]uint64{0: 1, 1: 1, 2: 2}[i] {
			t.Errorf("record %d seq %d", i, seq)
		}
	}
}

func TestCriticalAndSource(t *testing.T) {
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, nil)
	log := slog.New(NewHandler(p, &HandlerOptions{AddSource: true, Level: slog.LevelDebug, Logger: "stage"}))
	log.Log(context.Background(), LevelCritical, "vacuum lost")
	r := pl.records(1, 5*time.Second)[0]
	if r.Level != logbus.LevelCritical || r.Logger != "stage" {
		t.Errorf("level %v logger %q", r.Level, r.Logger)
	}
	if !strings.HasSuffix(r.Source.File, "publisher_test.go") || r.Source.Line == 0 || !strings.Contains(r.Source.Function, "TestCriticalAndSource") {
		t.Errorf("source %+v", r.Source)
	}
}

func TestSample(t *testing.T) {
	pl, ep := startPull(t, "")
	p := newPublisher(t, ep, nil)
	ctx := WithEquipment(context.Background(), "cryo-1")
	p.Sample(ctx, "stage.temperature", 21.4, "degC", slog.String("sensor", "pt100"))
	m, err := pl.next(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m.Topic.String() != "PPM/cryo-1/" || len(m.Samples) != 1 {
		t.Fatalf("topic %q, %d samples", m.Topic, len(m.Samples))
	}
	s := m.Samples[0]
	if s.Name != "stage.temperature" || s.Value != 21.4 || s.Unit != "degC" || s.Equipment != "cryo-1" || s.Seq != 1 || s.Time.IsZero() {
		t.Errorf("sample %+v", s)
	}
}

// TestDropAccounting fills the queue while no broker listens: every
// record is either delivered or counted, and the publisher reports the
// drops itself once the broker is back.
func TestDropAccounting(t *testing.T) {
	ep := freePort(t)
	p := newPublisher(t, ep, &Options{QueueRecords: 16})
	log := slog.New(p.Handler())
	const n = 3000
	for i := range n {
		log.Info("r", "i", i)
	}
	st := p.Stats()
	if st.Dropped.QueueFull == 0 {
		t.Fatalf("expected drops with a 16-record queue and no broker: %+v", st)
	}
	dropped := int(st.Dropped.QueueFull)
	pl, _ := startPull(t, ep)
	// Every record not dropped arrives, and WARN reports whose counts add
	// up to the drops: one per episode (the sender may catch up with the
	// burst and report between two episodes).
	var recs []logbus.Record
	delivered, reported, reports := 0, int64(0), 0
	prev := int64(-1)
	for delivered < n-dropped || reported < int64(dropped) {
		r := pl.records(1, 15*time.Second)[0]
		recs = append(recs, r)
		if r.Logger == "logbus.publisher" {
			if r.Level != logbus.LevelWarn {
				t.Errorf("report level %v", r.Level)
			}
			v, _ := r.Attr("dropped")
			reported += v.Int64()
			reports++
			continue
		}
		v, _ := r.Attr("i")
		if v.Int64() <= prev {
			t.Fatalf("order broken: %d after %d", v.Int64(), prev)
		}
		prev = v.Int64()
		delivered++
	}
	if reported != int64(dropped) || delivered != n-dropped {
		t.Errorf("delivered %d reported %d, stats say dropped %d of %d", delivered, reported, dropped, n)
	}
	if reports > 3 {
		t.Errorf("%d drop reports for one burst", reports)
	}
	data, rep := uint64(0), uint64(0)
	for i, r := range recs {
		switch {
		case r.Logger == "logbus.publisher":
			// Reports are numbered on a stream of their own.
			if rep++; r.Stream == p.Stream() || r.Seq != rep {
				t.Fatalf("report %d: stream %x seq %d", rep, r.Stream, r.Seq)
			}
		case r.Stream != p.Stream():
			t.Fatalf("record %d of stream %x", i, r.Stream)
		default:
			if data++; r.Seq != data {
				t.Fatalf("record %d has seq %d: dropped records must not leave gaps", i, r.Seq)
			}
		}
	}
	// One report per episode: a second look finds nothing more.
	if _, err := pl.next(200 * time.Millisecond); err == nil || len(pl.buf) > 0 {
		t.Error("a second drop report was sent for the same episode")
	}
}

func TestCloseFlushes(t *testing.T) {
	pl, ep := startPull(t, "")
	p, err := New(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(p.Handler())
	const n = 5000
	for i := range n {
		log.Info("r", "i", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	recs := pl.records(n, 10*time.Second)
	if len(recs) != n {
		t.Fatalf("%d records after Close", len(recs))
	}
	if st := p.Stats(); st.Sent != n || st.Dropped.Total() != 0 {
		t.Errorf("stats %+v", st)
	}
	if p.Publish(&logbus.Record{Message: "late"}) {
		t.Error("Publish after Close accepted a record")
	}
	var nilP *Publisher
	if err := nilP.Close(ctx); err != nil {
		t.Error(err)
	}
}

// TestCloseDeadlineCountsRest: with no broker, Close returns when its
// context ends, counts every record it could not send, says so on the
// fallback writer and returns ErrDropped.
func TestCloseDeadlineCountsRest(t *testing.T) {
	fallback := new(testsupport.LockedBuffer)
	p, err := New(freePort(t), &Options{QueueRecords: 100, Fallback: fallback})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for range n {
		p.Publish(&logbus.Record{Message: "x"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = p.Close(ctx)
	if !errors.Is(err, ErrDropped) || !strings.Contains(err.Error(), "50 handed to the connection") {
		t.Errorf("Close: %v, want ErrDropped naming the 50 records", err)
	}
	st := p.Stats()
	if got := st.Dropped.Closed + st.Dropped.Transport; got != n || st.Dropped.QueueFull != 0 {
		t.Errorf("published %d, dropped at close %d: %+v", n, got, st)
	}
	if out := fallback.String(); !strings.Contains(out, "dropped 50 records (50 in all); at Close") {
		t.Errorf("fallback report: %q", out)
	}
}

// TestBrokerRestart: records published while the broker is away are
// queued and arrive once it is back, none lost; the newest records
// written to the broker that left are sent again first (the replay
// window), in order, unless the window is off.
func TestBrokerRestart(t *testing.T) {
	for _, replay := range []int{0, -1} {
		t.Run(fmt.Sprint("replay", replay), func(t *testing.T) { testBrokerRestart(t, replay) })
	}
}

func testBrokerRestart(t *testing.T, replay int) {
	pl1, ep := startPull(t, "")
	p := newPublisher(t, ep, &Options{ReplayBytes: replay, ReconnectInterval: 10 * time.Millisecond, ReconnectIntervalMax: 50 * time.Millisecond})
	for i := range 100 {
		p.Publish(&logbus.Record{Message: "before", Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(int64(i))}}})
	}
	pl1.records(100, 5*time.Second)
	if err := pl1.sock.Close(); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 5*time.Second, "the publisher to notice the broker left", func() bool { return p.Stats().Connected == 0 })
	for i := 100; i < 600; i++ {
		p.Publish(&logbus.Record{Message: "during", Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(int64(i))}}})
	}
	pl2, _ := startPull(t, ep)
	again := 0
	if replay >= 0 {
		again = 100 // the whole window: 100 small records
	}
	recs := pl2.records(again+500, 10*time.Second)
	for j, r := range recs[:again] {
		if v, _ := r.Attr("i"); v.Int64() != int64(j) || r.Seq != uint64(1+j) {
			t.Fatalf("replayed record %d: i=%v seq=%d", j, v, r.Seq)
		}
	}
	for j, r := range recs[again:] {
		if v, _ := r.Attr("i"); v.Int64() != int64(100+j) || r.Seq != uint64(101+j) {
			t.Fatalf("record %d: i=%v seq=%d", j, v, r.Seq)
		}
	}
	if _, err := pl2.next(100 * time.Millisecond); err == nil || len(pl2.buf) > 0 {
		t.Error("duplicate delivered after the restart")
	}
	if st := p.Stats(); st.Dropped.Total() != 0 {
		t.Errorf("drops %+v", st.Dropped)
	}
}

func TestOptionsRejected(t *testing.T) {
	if _, err := New("", &Options{Encoding: topic.Pickle}); err == nil {
		t.Error("pickle encoding accepted")
	}
	if _, err := New("", &Options{System: 'X'}); err == nil {
		t.Error("system X accepted")
	}
	if _, err := New("bogus://x", nil); err == nil {
		t.Error("bad endpoint accepted")
	}
}

// TestBatching: a backlog of one topic leaves in multi-record messages,
// at most Options.Batch records each, in order; Batch 1 sends them alone.
func TestBatching(t *testing.T) {
	for _, batch := range []int{1, 16} {
		ep := freePort(t)
		p := newPublisher(t, ep, &Options{Batch: batch})
		const n = 500
		for i := range n {
			p.Publish(&logbus.Record{Message: "b", Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(int64(i))}}})
		}
		pl, _ := startPull(t, ep)
		got, most := 0, 0
		for got < n {
			m, err := pl.next(10 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range m.Records {
				if v, _ := r.Attr("i"); v.Int64() != int64(got) || r.Seq != uint64(got+1) {
					t.Fatalf("batch %d: record %d has i=%v seq=%d", batch, got, v, r.Seq)
				}
				got++
			}
			most = max(most, len(m.Records))
		}
		if most > batch || batch > 1 && most == 1 {
			t.Errorf("Batch %d: largest message held %d records", batch, most)
		}
	}
}

// TestBatchesAcrossTopics: a publisher cycling through ten equipments
// (one record each in turn) under a backlog still sends full batches,
// one per topic, each topic's records in order.
func TestBatchesAcrossTopics(t *testing.T) {
	ep := freePort(t)
	p := newPublisher(t, ep, nil)
	const n = 2000
	// 2 KB records: 4 MB in all, four times what the socket takes (1 MiB)
	// while nobody listens. Past that its sender waits, and the rest
	// (three quarters) is a backlog in the publisher's queue, whichever
	// goroutine runs first.
	pad := strings.Repeat("p", 2000)
	for i := range n {
		eq := fmt.Sprintf("eq-%d", i%10)
		if !p.Publish(&logbus.Record{Level: logbus.LevelInfo, Message: fmt.Sprint(i), Envelope: logbus.Envelope{Equipment: eq},
			Attrs: []logbus.Attr{{Key: "pad", Value: logbus.StringValue(pad)}}}) {
			t.Fatalf("record %d dropped", i)
		}
	}
	pl, _ := startPull(t, ep) // the backlog waits for it
	messages, records := 0, 0
	last := map[string]int{}
	for records < n {
		m, err := pl.next(10 * time.Second)
		if err != nil {
			t.Fatalf("after %d records: %v", records, err)
		}
		messages++
		for _, r := range m.Records {
			records++
			i, _ := strconv.Atoi(r.Message)
			if prev, ok := last[r.Equipment]; ok && i <= prev {
				t.Fatalf("%s: record %d after %d", r.Equipment, i, prev)
			}
			last[r.Equipment] = i
		}
	}
	// One message per record for the backlog would be 1500 messages or
	// more; batched across topics it is a few dozen.
	if messages > n/2 {
		t.Errorf("%d messages for %d records of 10 topics: batches stop at a change of topic", messages, n)
	}
	t.Logf("%d messages for %d records", messages, n)
}
