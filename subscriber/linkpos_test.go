package subscriber

import (
	"context"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/origin"
	"github.com/logbus/logbus/zmtp"
)

// TestLinkPositionCoversEventlessMessages: a message that gives no event
// (its record a duplicate) still moves LinkPosition, so a file sink that
// stops after it does not report it lost when it resumes; a gap in the
// link numbers is a LINK-GAP event before the next message's events.
func TestLinkPositionCoversEventlessMessages(t *testing.T) {
	pub, err := zmtp.NewSocket(zmtp.PUB, &zmtp.Options{Linger: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pub.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := pub.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	sub, err := Dial(context.Background(), pub.Endpoints()[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sub.Close(); err != nil {
			t.Error(err)
		}
	})
	testsupport.WaitFor(t, 10*time.Second, "subscribed", func() bool { return pub.Subscribers() > 0 })
	send := func(recSeq, linkSeq uint64) {
		r := logbus.Record{Envelope: logbus.Envelope{Stream: 7, Seq: recSeq}, Message: "m"}
		payload := codec.AppendRecordMsgpack(nil, &r)
		f := origin.Append(nil, &origin.Origin{Link: 42, Seq: linkSeq, Unnumbered: 0, Numbered: true})
		if err := pub.SendFrames(context.Background(), []byte("PLM"), payload, f); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	send(1, 1)
	if ev, err := sub.Next(ctx); err != nil || ev.Kind != KindRecord {
		t.Fatalf("first: %v %v", ev.Kind, err)
	}
	send(1, 2) // the same record again: no event
	testsupport.WaitFor(t, 10*time.Second, "the link position past the duplicate", func() bool {
		sub.TryNext()
		l, ok := sub.LinkPosition()
		return ok && l.Link == 42 && l.Seq == 2
	})
	send(1, 1) // a copy of the first message: dropped, and the position stays
	send(2, 5) // two messages lost on the link
	ev, err := sub.Next(ctx)
	if err != nil || ev.Kind != KindLinkGap || ev.LinkGap.Messages != 2 || ev.LinkGap.After != 2 {
		t.Fatalf("after a jump: %v %+v %v", ev.Kind, ev.LinkGap, err)
	}
	if ev, err := sub.Next(ctx); err != nil || ev.Kind != KindRecord || ev.Record.Seq != 2 {
		t.Fatalf("then the record: %v %v", ev.Kind, err)
	}
	if l, _ := sub.LinkPosition(); l.Seq != 5 {
		t.Errorf("link position %+v after the record", l)
	}
	if st := sub.Stats(); st.Duplicates != 1 || st.DuplicateMessages != 1 || st.LinkGaps != 1 || st.LinkMessages != 2 {
		t.Errorf("stats %+v", st)
	}
}
