package broker_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/internal/testbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/origin"
	"github.com/logbus/logbus/zmtp"
)

// rawSocket is a zmtp socket of typ connected to ep (SUB: subscribed to
// everything), closed at cleanup.
func rawSocket(t *testing.T, typ zmtp.Type, ep string, o *zmtp.Options) *zmtp.Socket {
	t.Helper()
	if o == nil {
		o = &zmtp.Options{}
	}
	o.Linger = time.Second
	s, err := zmtp.NewSocket(typ, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if typ == zmtp.SUB {
		if err := s.Subscribe(nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return s
}

// recvFor returns the next message of s, failing after d.
func recvFor(t *testing.T, s *zmtp.Socket, d time.Duration) zmtp.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := s.Recv(ctx)
	if err != nil {
		t.Fatalf("no message: %v", err)
	}
	return m
}

// TestOriginChain: through a site broker and a central one, an archived
// message carries one origin frame per hop (site upstream link, then the
// central archive), each numbering the link and counting the records of
// unnumbered senders; a logbus publisher's records are marked numbered;
// the fan-outs carry the message as sent.
func TestOriginChain(t *testing.T) {
	central := testbus.StartBroker(t, nil)
	site := testbus.StartBroker(t, &broker.Config{Upstream: central.Ingest()})
	arch := rawSocket(t, zmtp.SUB, central.Archive(), &zmtp.Options{Properties: map[string]string{broker.ArchiverProperty: "chain-test"}})
	fan := rawSocket(t, zmtp.SUB, central.Fanout(), nil)
	legacy := rawSocket(t, zmtp.PUSH, site.Ingest(), nil)
	payload := []byte(`{"msg":"from distlog","levelname":"INFO"}`)
	// Probe until the whole path is up: each probe is one more message
	// on both links. The fan-out carries the message as sent, without
	// origin frames.
	probe := func() {
		if err := legacy.SendFrames(context.Background(), []byte("PLJ"), payload); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.Probe(t, 15*time.Second, "the central fan-out", probe, func(ctx context.Context) bool {
		f, err := fan.Recv(ctx)
		if err == nil && (len(f) != 2 || string(f[0]) != "PLJ" || !bytes.Equal(f[1], payload)) {
			t.Errorf("fan-out message %q", f)
		}
		return err == nil
	})
	var m zmtp.Msg
	testsupport.Probe(t, 15*time.Second, "the central archive", probe, func(ctx context.Context) bool {
		got, err := arch.Recv(ctx)
		m = got
		return err == nil
	})
	frames, chain := origin.Split(m, nil)
	if len(chain) != 2 || len(frames) != 2 || !bytes.Equal(frames[1], payload) {
		t.Fatalf("archived message %q: chain %+v", m, chain)
	}
	if chain[0].Link == chain[1].Link || chain[0].Numbered || chain[1].Numbered ||
		chain[0].Unnumbered != chain[0].Seq || chain[1].Unnumbered != chain[1].Seq || chain[0].Arrival != chain[1].Arrival {
		t.Errorf("chain %+v", chain)
	}
	pub := testbus.Publisher(t, site.Ingest(), nil)
	pub.Publish(&logbus.Record{Message: "numbered"})
	prev := chain
	for {
		_, c := origin.Split(recvFor(t, arch, 10*time.Second), nil)
		if len(c) != 2 {
			t.Fatalf("chain %+v", c)
		}
		if !c[0].Numbered { // a late probe
			prev = c
			continue
		}
		if !c[1].Numbered || c[0].Unnumbered != prev[0].Unnumbered || c[1].Unnumbered != prev[1].Unnumbered ||
			c[0].Seq != prev[0].Seq+1 || c[1].Seq != prev[1].Seq+1 {
			t.Errorf("publisher's message: chain %+v after %+v", c, prev)
		}
		break
	}
}

// TestForgedOriginTakenOff: origin frames from a sender that is not a
// broker's upstream link are taken off and counted; the archive carries
// the broker's own frame only.
func TestForgedOriginTakenOff(t *testing.T) {
	b := testbus.StartBroker(t, nil)
	arch := rawSocket(t, zmtp.SUB, b.Archive(), &zmtp.Options{Properties: map[string]string{broker.ArchiverProperty: "forged-test"}})
	push := rawSocket(t, zmtp.PUSH, b.Ingest(), nil)
	forged := origin.Append(nil, &origin.Origin{Link: 0, Seq: 1, Numbered: true}) // link 0: what an undeclared sender's link would read as
	var m zmtp.Msg
	testsupport.Probe(t, 15*time.Second, "the archiver",
		func() {
			if err := push.SendFrames(context.Background(), []byte("PLJ"), []byte(`{"msg":"x"}`), forged); err != nil {
				t.Fatal(err)
			}
		},
		func(ctx context.Context) bool {
			got, err := arch.Recv(ctx)
			m = got
			return err == nil
		})
	frames, chain := origin.Split(m, nil)
	if len(frames) != 2 || len(chain) != 1 || chain[0].Link == 0 || chain[0].Numbered {
		t.Fatalf("archived %q: chain %+v", m, chain)
	}
	if st := b.Stats(); st.ForgedOrigin == 0 {
		t.Errorf("forged origin frames not counted: %+v", st)
	}
}

// TestPosingAsAnotherLinkRefused: a sender declaring a link
// (origin.LinkProperty) has its chains kept only when their last hop is
// that link; posing as another broker's link is taken off and counted.
func TestPosingAsAnotherLinkRefused(t *testing.T) {
	b := testbus.StartBroker(t, nil)
	arch := rawSocket(t, zmtp.SUB, b.Archive(), &zmtp.Options{Properties: map[string]string{broker.ArchiverProperty: "pose-test"}})
	push := rawSocket(t, zmtp.PUSH, b.Ingest(), &zmtp.Options{Properties: map[string]string{origin.LinkProperty: "abc"}})
	send := func(link uint64) zmtp.Msg {
		f := origin.Append(nil, &origin.Origin{Link: link, Seq: 1})
		var m zmtp.Msg
		testsupport.Probe(t, 15*time.Second, "the archiver", func() {
			if err := push.SendFrames(context.Background(), []byte("PLJ"), []byte(`{"msg":"x"}`), f); err != nil {
				t.Fatal(err)
			}
		}, func(ctx context.Context) bool {
			got, err := arch.Recv(ctx)
			m = got
			return err == nil
		})
		return m
	}
	if _, chain := origin.Split(send(0xabc), nil); len(chain) != 2 || chain[0].Link != 0xabc {
		t.Fatalf("its own link: chain %+v", chain)
	}
	forged := b.Stats().ForgedOrigin
	if _, chain := origin.Split(send(0xdef), nil); len(chain) != 1 || chain[0].Link == 0xdef {
		t.Fatalf("another link: chain %+v", chain)
	}
	if b.Stats().ForgedOrigin == forged {
		t.Error("posing as another link not counted")
	}
}

// TestUpstreamUnsentCounted: what waits for an unreachable upstream
// broker is shown as queued, and what is still waiting when the broker
// stops is counted as unsent (the queue is in memory), not lost silently.
func TestUpstreamUnsentCounted(t *testing.T) {
	dead := "tcp://" + testsupport.FreeAddr(t)
	site := testbus.StartBroker(t, &broker.Config{Upstream: dead, Archive: "-", DrainTimeout: 100 * time.Millisecond})
	push := rawSocket(t, zmtp.PUSH, site.Ingest(), nil)
	const n = 25
	for range n {
		if err := push.SendFrames(context.Background(), []byte("PLJ"), []byte(`{"msg":"for the centre"}`)); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "queued for the upstream", func() bool { return site.Stats().Upstream.Queued == n })
	site.Stop(t)
	if st := site.Stats().Upstream; st.Unsent != n || st.Sent != n {
		t.Errorf("upstream %+v, want %d queued and unsent at stop", st, n)
	}
}
