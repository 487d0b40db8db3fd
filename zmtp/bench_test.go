package zmtp

import (
	"context"
	"testing"
	"time"
)

// benchPayload is the workload of the transport targets: a 3-byte topic
// and a 200-byte payload.
var benchTopic, benchPayload = []byte("PLM"), make([]byte, 200)

func benchPair(b *testing.B, sendT, recvT Type) (snd, rcv *Socket) {
	b.Helper()
	rcv = newSock(b, recvT, &Options{SendHWM: 10000, RecvHWM: 10000})
	ep := bindLocal(b, rcv)
	snd = newSock(b, sendT, &Options{SendHWM: 10000, RecvHWM: 10000})
	if recvT == SUB {
		if err := rcv.Subscribe(nil); err != nil {
			b.Fatal(err)
		}
		snd.cfg.NoDrop = true
	}
	if err := snd.Connect(ep); err != nil {
		b.Fatal(err)
	}
	waitFor(b, "peer", func() bool {
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
