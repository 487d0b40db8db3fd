package publisher

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/internal/vectors"
	"github.com/logbus/logbus/zmtp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pull is an in-process broker stand-in: a real zmtp PULL socket.
type pull struct {
	t    *testing.T
	sock *zmtp.Socket
	dec  codec.Decoder
	buf  []topicRecord // received, not yet returned
}

// topicRecord is a record with the topic of the message that carried it.
type topicRecord struct {
	topic string
	logbus.Record
}

func startPull(t *testing.T, endpoint string) (*pull, string) {
	t.Helper()
	s, err := zmtp.NewSocket(zmtp.PULL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if endpoint == "" {
		endpoint = "tcp://127.0.0.1:0"
	}
	if err := s.Bind(endpoint); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return &pull{t: t, sock: s}, s.Endpoints()[0]
}

// next receives one message and decodes it, failing the test after d.
func (p *pull) next(d time.Duration) (codec.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	frames, err := p.sock.Recv(ctx)
	if err != nil {
		return codec.Message{}, err
	}
	var m codec.Message
	if err := p.dec.Decode(frames, &m); err != nil {
		p.t.Fatalf("decode: %v", err)
	}
	return m, nil
}

// records receives n log records (deadline d in all); a message may
// carry several (a batch), and what is not asked for is kept.
func (p *pull) records(n int, d time.Duration) []logbus.Record {
	p.t.Helper()
	var out []logbus.Record
	for _, tr := range p.topicRecords(n, d) {
		out = append(out, tr.Record)
	}
	return out
}

func (p *pull) topicRecords(n int, d time.Duration) []topicRecord {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for len(p.buf) < n {
		m, err := p.next(time.Until(deadline))
		if err != nil {
			p.t.Fatalf("after %d of %d records: %v", len(p.buf), n, err)
		}
		for _, r := range m.Records {
			r.Attrs = append([]logbus.Attr(nil), r.Attrs...)
			p.buf = append(p.buf, topicRecord{m.Topic.String(), r})
		}
	}
	out := p.buf[:n:n]
	p.buf = p.buf[n:]
	return out
}

// poll returns the records that arrive within d.
func (p *pull) poll(d time.Duration) []logbus.Record {
	deadline := time.Now().Add(d)
	var out []logbus.Record
	for {
		m, err := p.next(time.Until(deadline))
		if err != nil {
			return out
		}
		for _, r := range m.Records {
			r.Attrs = append([]logbus.Attr(nil), r.Attrs...)
			out = append(out, r)
		}
	}
}

// freePort returns a loopback endpoint nobody listens on (yet).
func freePort(t *testing.T) string { return "tcp://" + testsupport.FreeAddr(t) }

func newPublisher(t *testing.T, endpoint string, opts *Options) *Publisher {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	if opts.Fallback == nil {
		opts.Fallback = new(testsupport.LockedBuffer) // not the test's stderr
	}
	p, err := New(endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

func openVector(name string) (*os.File, error) {
	return os.Open(filepath.Join(vectors.Dir(), name))
}
