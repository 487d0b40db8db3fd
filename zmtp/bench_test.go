package zmtp

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

// benchPayload is the workload of the transport targets: a 3-byte topic
// and a 200-byte payload.
var benchTopic, benchPayload = []byte("PLM"), make([]byte, 200)

func benchPair(b *testing.B, sendT, recvT Type) (snd, rcv *Socket) {
	b.Helper()
	rcv = newSock(b, recvT, benchOpts())
	ep := bindLocal(b, rcv)
	snd = newSock(b, sendT, benchOpts())
	if recvT == SUB {
		if err := rcv.Subscribe(nil); err != nil {
			b.Fatal(err)
		}
		snd.cfg.NoDrop = true
	}
	if err := snd.Connect(ep); err != nil {
		b.Fatal(err)
	}
	testsupport.WaitFor(b, 10*time.Second, "peer", func() bool {
		if snd.PeerCount() != 1 {
			return false
		}
		if recvT == SUB {
			return (*snd.peers.Load())[0].subs.Load() != nil
		}
		return true
	})
	return snd, rcv
}

func runThroughput(b *testing.B, sendT, recvT Type) {
	snd, rcv := benchPair(b, sendT, recvT)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTopic) + len(benchPayload)))
	b.ResetTimer()
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		m := Msg{benchTopic, benchPayload}
		for i := 0; i < b.N; i++ {
			if err := snd.Send(ctx, m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	var m Msg
	for i := 0; i < b.N; i++ {
		if err := rcv.RecvInto(ctx, &m); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

func BenchmarkPushPull(b *testing.B) { runThroughput(b, PUSH, PULL) }
func BenchmarkPubSub(b *testing.B)   { runThroughput(b, PUB, SUB) }

// BenchmarkPushPullRecv is BenchmarkPushPull with the allocating Recv.
func BenchmarkPushPullRecv(b *testing.B) {
	snd, rcv := benchPair(b, PUSH, PULL)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		m := Msg{benchTopic, benchPayload}
		for i := 0; i < b.N; i++ {
			if err := snd.Send(ctx, m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < b.N; i++ {
		if _, err := rcv.Recv(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

// BenchmarkBrokerPipeline measures PUSH -> [PULL -> PUB] -> SUB, the
// broker's forwarding path, with the middle stage in one goroutine.
func BenchmarkBrokerPipeline(b *testing.B) {
	push, pull := benchPair(b, PUSH, PULL)
	pub, sub := benchPair(b, PUB, SUB)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fwdDone := make(chan error, 1)
	go func() {
		var m Msg
		for {
			if err := pull.RecvInto(ctx, &m); err != nil {
				fwdDone <- nil
				return
			}
			if err := pub.Send(ctx, m); err != nil {
				fwdDone <- err
				return
			}
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		m := Msg{benchTopic, benchPayload}
		for i := 0; i < b.N; i++ {
			if err := push.Send(ctx, m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	var m Msg
	for i := 0; i < b.N; i++ {
		if err := sub.RecvInto(ctx, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	cancel()
	if err := <-fwdDone; err != nil {
		b.Fatal(err)
	}
}

// benchOpts are the benchmark socket options; ZMTP_BENCH_DEFAULTS=1 uses
// the package defaults instead, to see their effect.
func benchOpts() *Options {
	if os.Getenv("ZMTP_BENCH_DEFAULTS") == "1" {
		return &Options{}
	}
	return &Options{SendHWM: 10000, RecvHWM: 10000}
}
