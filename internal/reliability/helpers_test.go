package reliability

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testbus"

	"go.uber.org/goleak"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testbin"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/subscriber"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// logbusBinary builds cmd/logbus once; its broker and filesink commands
// run the daemons.
func logbusBinary(t *testing.T) string { return testbin.Build(t, "./cmd/logbus") }

// proc is a daemon process under test.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	args []string
	out  *strings.Builder
}

func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, args: args, out: new(strings.Builder)}
	p.start()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			if err := p.cmd.Process.Kill(); err != nil {
				t.Error(err)
			}
			if err := p.cmd.Wait(); err != nil {
				t.Logf("%s: %v", args[0], err)
			}
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", args[0], p.out.String())
		}
	})
	return p
}

func (p *proc) start() {
	p.cmd = exec.Command(logbusBinary(p.t), p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
}

// kill sends sig and waits for the process to end.
func (p *proc) kill(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return err
	}
	return p.cmd.Wait()
}

type brokerAddrs struct{ ingest, fanout, archive, http string }

func newBrokerAddrs(t *testing.T) brokerAddrs {
	return brokerAddrs{"tcp://" + testsupport.FreeAddr(t), "tcp://" + testsupport.FreeAddr(t), "tcp://" + testsupport.FreeAddr(t), testsupport.FreeAddr(t)}
}

func startBroker(t *testing.T, a brokerAddrs) *proc {
	return startProc(t, "broker", "--ingest", a.ingest, "--fanout", a.fanout, "--archive", a.archive, "--http", a.http,
		"--log-level", "warn", "--drain-timeout", "3s")
}

// newPub is a publisher that reconnects quickly: the tests restart
// brokers.
func newPub(t *testing.T, ep string, opts *publisher.Options) *publisher.Publisher {
	t.Helper()
	if opts == nil {
		opts = &publisher.Options{}
	}
	opts.ReconnectInterval, opts.ReconnectIntervalMax = 10*time.Millisecond, 100*time.Millisecond
	return testbus.Publisher(t, ep, opts)
}

// newSub is an archiver (as a file sink is, under a name) that
// reconnects quickly and holds what a test sends in one burst.
func newSub(t *testing.T, ep string) *subscriber.Subscriber {
	t.Helper()
	return testbus.Archiver(t, ep, "reliability-archiver", &subscriber.Options{
		QueueMessages: 100000, ReconnectInterval: 10 * time.Millisecond, ReconnectIntervalMax: 100 * time.Millisecond})
}

// tally follows a subscriber: the distinct sequence numbers received per
// stream and the records reported missing.
type tally struct {
	mu      sync.Mutex
	seqs    map[uint64]map[uint64]bool
	top     map[uint64]uint64 // highest sequence number seen per stream
	missing uint64
	late    uint64 // records that arrived after a later one: they fill a reported gap
	done    chan struct{}
	cancel  context.CancelFunc
}

func follow(s *subscriber.Subscriber) *tally {
	ctx, cancel := context.WithCancel(context.Background())
	tl := &tally{seqs: map[uint64]map[uint64]bool{}, top: map[uint64]uint64{}, done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(tl.done)
		for {
			ev, err := s.Next(ctx)
			if err != nil {
				return
			}
			tl.mu.Lock()
			switch ev.Kind {
			case subscriber.KindRecord:
				r := ev.Record
				if tl.seqs[r.Stream] == nil {
					tl.seqs[r.Stream] = map[uint64]bool{}
				}
				if r.Seq < tl.top[r.Stream] && !tl.seqs[r.Stream][r.Seq] {
					tl.late++
				}
				tl.top[r.Stream] = max(tl.top[r.Stream], r.Seq)
				tl.seqs[r.Stream][r.Seq] = true
			case subscriber.KindGap:
				tl.missing += ev.Gap.Missing
			}
			tl.mu.Unlock()
		}
	}()
	return tl
}

func (tl *tally) stop() {
	tl.cancel()
	<-tl.done
}

func (tl *tally) received(stream uint64) int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return len(tl.seqs[stream])
}

func (tl *tally) has(stream, seq uint64) bool {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.seqs[stream][seq]
}

func (tl *tally) gaps() uint64 {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return tl.missing
}

// joined publishes probes until the tally's subscriber has one (the
// probes are numbered like other records: count them in the stream).
func joined(t *testing.T, p *publisher.Publisher, s *subscriber.Subscriber) {
	t.Helper()
	testsupport.Probe(t, 15*time.Second, "the subscriber to join",
		func() { p.Publish(&logbus.Record{Message: "probe"}) },
		func(ctx context.Context) bool {
			ev, err := s.Next(ctx)
			return err == nil && ev.Kind == subscriber.KindRecord
		})
}
