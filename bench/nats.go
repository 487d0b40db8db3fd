package main

import (
	"errors"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// natsLink is nats-server, embedded in this process, between a publishing
// and a subscribing nats.go client: the broker's job (pattern pipeline)
// done by NATS core publish-subscribe. The server's per-client pending
// limit, the subscription's and its queue are raised so that nothing is
// dropped or cut off, the same every-message-arrives contract as the
// other runs (-n up to 4M).
type natsLink struct {
	srv     *server.Server
	pc, sc  *nats.Conn
	sub     *nats.Subscription
	subject string
	topic   []byte
	frames  [][]byte
}

func openNATS(pattern string) (link, error) {
	if pattern != "pipeline" {
		return nil, errors.New("nats runs the pipeline pattern only (publisher, server, subscriber)")
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true, MaxPending: 4 << 30})
	if err != nil {
		return nil, err
	}
	go srv.Start()
	l := &natsLink{srv: srv, subject: "T"}
	if !srv.ReadyForConnections(10 * time.Second) {
		l.close()
		return nil, errors.New("nats-server not ready within 10 s")
	}
	if l.pc, err = nats.Connect(srv.ClientURL()); err == nil {
		// A synchronous subscription queues in a channel of this length
		// and drops beyond it, whatever its pending limits.
		l.sc, err = nats.Connect(srv.ClientURL(), nats.SyncQueueLen(4<<20))
	}
	if err == nil {
		l.sub, err = l.sc.SubscribeSync(l.subject)
	}
	if err == nil {
		err = l.sub.SetPendingLimits(-1, -1)
	}
	if err == nil {
		err = l.sc.Flush()
	}
	if err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *natsLink) send(frames [][]byte) error {
	l.topic = frames[0]
	return l.pc.Publish(l.subject, frames[len(frames)-1])
}

func (l *natsLink) flush() error { return l.pc.Flush() }

func (l *natsLink) recv() ([][]byte, error) {
	m, err := l.sub.NextMsg(time.Minute)
	if err != nil {
		return nil, err
	}
	l.frames = append(l.frames[:0], l.topic, m.Data)
	return l.frames, nil
}

func (l *natsLink) recvWithin(d time.Duration) error {
	_, err := l.sub.NextMsg(d)
	if errors.Is(err, nats.ErrTimeout) {
		return errTimeout
	}
	return err
}

func (l *natsLink) close() {
	if l.pc != nil {
		l.pc.Close()
	}
	if l.sc != nil {
		l.sc.Close()
	}
	l.srv.Shutdown()
	l.srv.WaitForShutdown()
}
