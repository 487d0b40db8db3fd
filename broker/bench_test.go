package broker_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logbus/logbus/broker"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/zmtp"
)

// BenchmarkBrokerThroughput: N publishers → broker → one named archiver
// (no drops, back-pressure), 200-byte records; with stuck=3, three more
// subscribers on the archive endpoint that never read or read one
// message a second (they must cost nothing: compare with stuck=0 in the
// same run). The fan-out's neighbours must cost the archive nothing
// either: stalled=50 adds 50 dashboards on the fan-out that never read
// (they stay connected), prefixes=40x4096 adds 40 that each subscribed to
// 4096 prefixes none of the records match. Reports records per second end
// to end (publishers batch them under load) and the CPU time of the whole
// process (publishers, broker and subscribers share it) per record.
func BenchmarkBrokerThroughput(b *testing.B) {
	for _, c := range []struct{ pubs, stuck, stalled, prefixSubs int }{
		{1, 0, 0, 0}, {4, 0, 0, 0}, {16, 0, 0, 0}, {4, 3, 0, 0}, {4, 0, 50, 0}, {4, 0, 0, 40},
	} {
		n := c.pubs
		name := fmt.Sprintf("publishers=%d/stuck=%d", n, c.stuck)
		switch {
		case c.stalled > 0:
			name = fmt.Sprintf("publishers=%d/stalled=%d", n, c.stalled)
		case c.prefixSubs > 0:
			name = fmt.Sprintf("publishers=%d/prefixes=%dx4096", n, c.prefixSubs)
		}
		b.Run(name, func(b *testing.B) {
			br, stopBroker := runBenchBroker(b, &broker.Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "tcp://127.0.0.1:0"})
			defer stopBroker()
			sub, err := zmtp.NewSocket(zmtp.SUB, &zmtp.Options{Properties: map[string]string{broker.ArchiverProperty: "bench"}})
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Close()
			for i := range c.stuck {
				stuckSub(b, br.Endpoints().Archive, "", time.Duration(i%2)*time.Second)
			}
			for range c.stalled {
				stuckSub(b, br.Endpoints().Fanout, "", 0)
			}
			for range c.prefixSubs {
				prefixSub(b, br.Endpoints().Fanout, 4096)
			}
			waitFanout(b, br, c.stalled+c.prefixSubs, 4096*min(c.prefixSubs, 1))
			if err := sub.Subscribe(nil); err != nil {
				b.Fatal(err)
			}
			if err := sub.Connect(br.Endpoints().Archive); err != nil {
				b.Fatal(err)
			}
			pubs, closePubs := benchPublishers(b, br.Endpoints().Ingest, n)
			defer closePubs()
			// Join: wait until the archive subscriber receives a probe.
			var m zmtp.Msg
			for {
				pubs[0].Publish(&logbus.Record{Message: "probe"})
				c, cc := context.WithTimeout(context.Background(), 20*time.Millisecond)
				err := sub.RecvInto(c, &m)
				cc()
				if err == nil {
					break
				}
			}
			rec := logbus.Record{Level: logbus.LevelInfo, Message: string(make([]byte, 120)), Logger: "bench",
				Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(1)}}}
			if c.stalled > 0 {
				// Stalled dashboards, as on a site: they stopped reading a
				// while ago (the broker saw no progress for a second with
				// megabytes queued). Until then they are dashboards in a
				// burst, served from their budget like any other.
				dctx, stop := context.WithCancel(context.Background())
				drained := make(chan struct{})
				go func() { // the archiver reads meanwhile
					defer close(drained)
					var m zmtp.Msg
					for sub.RecvInto(dctx, &m) == nil {
					}
				}()
				stallFanout(b, br, pubs[0], &rec, c.stalled)
				stop()
				<-drained
			}
			for {
				c, cc := context.WithTimeout(context.Background(), 50*time.Millisecond)
				err := sub.RecvInto(c, &m)
				cc()
				if err != nil {
					break
				}
			}
			cpu0 := cpuTime()
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / n
			for _, p := range pubs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rec
					for range per {
						for !p.PublishWait(context.Background(), &r, time.Second) {
						}
					}
				}()
			}
			// Publishers batch under load: count records (payload frames,
			// between the topic and the origin frame).
			total := per * n
			for got := 0; got < total; got += len(m) - 2 {
				if err := sub.RecvInto(context.Background(), &m); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			wg.Wait()
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(total), "cpu-ns/record")
		})
	}
}

// BenchmarkStalledDashboard: one dashboard never reads while 200k
// messages pass; the heap stays bounded by its queue limit.
func BenchmarkStalledDashboard(b *testing.B) {
	for range b.N {
		br, err := broker.New(&broker.Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "-", FanoutQueue: 1000})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- br.Run(ctx) }()
		stalled, err := zmtp.NewSocket(zmtp.SUB, &zmtp.Options{RecvHWM: 10})
		if err != nil {
			b.Fatal(err)
		}
		if err := stalled.Subscribe(nil); err != nil {
			b.Fatal(err)
		}
		if err := stalled.Connect(br.Endpoints().Fanout); err != nil {
			b.Fatal(err)
		}
		for len(br.Stats().Fanout.Peers) == 0 {
			time.Sleep(time.Millisecond)
		}
		p, err := publisher.New(br.Endpoints().Ingest, &publisher.Options{QueueRecords: 200000, Batch: 1})
		if err != nil {
			b.Fatal(err)
		}
		rec := logbus.Record{Message: string(make([]byte, 200))}
		const n = 200000
		for range n {
			for !p.PublishWait(context.Background(), &rec, time.Second) {
			}
		}
		for br.Stats().Forwarded < n {
			time.Sleep(time.Millisecond)
		}
		// Two collections: the first only moves pooled buffers (queue
		// chunks, publisher items) to the pools' victim caches, still
		// counted in the heap; the second frees them, leaving what is live.
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(br.Stats().Fanout.Dropped.QueueFull), "dropped")
		c, cc := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.Close(c); err != nil {
			b.Error(err)
		}
		cc()
		if err := stalled.Close(); err != nil {
			b.Error(err)
		}
		cancel()
		<-ran
		if err := br.Close(); err != nil {
			b.Error(err)
		}
	}
}

// runBenchBroker starts a broker from cfg; the returned function stops and
// closes it (defer it first, so that it runs last).
func runBenchBroker(b *testing.B, cfg *broker.Config) (*broker.Broker, func()) {
	br, err := broker.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- br.Run(ctx) }()
	return br, func() {
		cancel()
		<-ran
		if err := br.Close(); err != nil {
			b.Error(err)
		}
	}
}

// benchPublishers starts n publishers with deep queues; the returned
// function closes them (before the broker: defer it after the broker's
// close).
func benchPublishers(b *testing.B, ingest string, n int) ([]*publisher.Publisher, func()) {
	pubs := make([]*publisher.Publisher, n)
	for i := range pubs {
		var err error
		if pubs[i], err = publisher.New(ingest, &publisher.Options{QueueRecords: 100000}); err != nil {
			b.Fatal(err)
		}
	}
	return pubs, func() {
		for _, p := range pubs {
			c, cc := context.WithTimeout(context.Background(), 5*time.Second)
			if err := p.Close(c); err != nil {
				b.Error(err)
			}
			cc()
		}
	}
}

// prefixSub connects a fan-out subscriber holding n prefixes that no
// benchmark record matches (equipment it watches and nobody logs for);
// it reads whatever comes until the benchmark ends.
func prefixSub(b *testing.B, ep string, n int) {
	s, err := zmtp.NewSocket(zmtp.SUB, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := s.Subscribe(fmt.Appendf(nil, "PLM/eq-%04d/", i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Connect(ep); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s.RecvInto(ctx, new(zmtp.Msg)) == nil {
		}
	}()
	b.Cleanup(func() {
		cancel()
		<-done
		if err := s.Close(); err != nil {
			b.Error(err)
		}
	})
}

// stallFanout publishes until each of n fan-out subscribers that stopped
// reading has been found stalled (the broker drops for it).
func stallFanout(b *testing.B, br *broker.Broker, p *publisher.Publisher, rec *logbus.Record, n int) {
	pollFanout(b, br, n, "found stalled", func() {
		for range 1000 {
			for !p.PublishWait(context.Background(), rec, time.Second) {
			}
		}
	}, func(st zmtp.PeerStats) bool { return st.Dropped > 0 })
}

// waitFanout waits until n subscribers are connected to the fan-out, each
// holding at least prefixes prefixes.
func waitFanout(b *testing.B, br *broker.Broker, n, prefixes int) {
	pollFanout(b, br, n, "ready", func() {}, func(st zmtp.PeerStats) bool { return st.Prefixes >= prefixes })
}

// pollFanout runs step until at least n fan-out subscribers satisfy ok,
// failing after 30 s.
func pollFanout(b *testing.B, br *broker.Broker, n int, what string, step func(), ok func(zmtp.PeerStats) bool) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		step()
		got := 0
		for _, st := range br.Stats().Fanout.Peers {
			if ok(st) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d fan-out subscribers %s", got, n, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkFanoutBurst: four dashboards read as fast as they can while
// four publishers send b.N records in bursts: 200,000 records at full
// speed (their default batching), one burst a second, so that the
// dashboards keep up on average but not during a burst. The fan-out's
// per-dashboard byte budget (Config.FanoutQueueBytes) absorbs the burst.
// Reports the share of the dashboards' messages dropped (goal: none with
// the default budget; compare with 4 MiB, the budget before it was
// configurable) and the CPU of the whole process per delivered record.
func BenchmarkFanoutBurst(b *testing.B) {
	for _, budget := range []int{4 << 20, 32 << 20, broker.DefaultConfig().FanoutQueueBytes} {
		b.Run(fmt.Sprintf("queue=%dMiB", budget>>20), func(b *testing.B) {
			br, stopBroker := runBenchBroker(b, &broker.Config{Ingest: "tcp://127.0.0.1:0", Fanout: "tcp://127.0.0.1:0", Archive: "-", FanoutQueueBytes: budget})
			defer stopBroker()
			const dashboards = 4
			var got [dashboards]atomic.Int64
			var wg sync.WaitGroup
			rctx, rcancel := context.WithCancel(context.Background())
			for i := range dashboards {
				s, err := zmtp.NewSocket(zmtp.SUB, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Subscribe(nil); err != nil {
					b.Fatal(err)
				}
				if err := s.Connect(br.Endpoints().Fanout); err != nil {
					b.Fatal(err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var m zmtp.Msg
					for s.RecvInto(rctx, &m) == nil {
						got[i].Add(int64(len(m) - 1)) // [topic, payloads...]: no origin frame on the fan-out
					}
				}()
				defer func() {
					if err := s.Close(); err != nil {
						b.Error(err)
					}
				}()
			}
			defer func() { rcancel(); wg.Wait() }()
			waitFanout(b, br, dashboards, 1)
			pubs, closePubs := benchPublishers(b, br.Endpoints().Ingest, 4)
			defer closePubs()
			// Join: every dashboard receives a probe.
			for joined, deadline := false, time.Now().Add(10*time.Second); !joined; {
				pubs[0].Publish(&logbus.Record{Message: "probe"})
				time.Sleep(10 * time.Millisecond)
				joined = true
				for i := range got {
					joined = joined && got[i].Load() > 0
				}
				if time.Now().After(deadline) {
					st := br.Stats()
					b.Fatalf("dashboards not joined: got %d %d %d %d; broker in %d forwarded %d; fan-out %+v", got[0].Load(), got[1].Load(), got[2].Load(), got[3].Load(), st.In, st.Forwarded, st.Fanout)
				}
			}
			base := br.Stats()
			var start [dashboards]int64
			for i := range got {
				start[i] = got[i].Load()
			}
			rec := logbus.Record{Level: logbus.LevelInfo, Message: string(make([]byte, 120)), Logger: "bench",
				Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(1)}}}
			cpu0 := cpuTime()
			b.ResetTimer()
			const burst = 200000
			per := b.N / len(pubs)
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for sent := 0; sent < per; {
				n := min(burst/len(pubs), per-sent)
				var pw sync.WaitGroup
				for _, p := range pubs {
					pw.Add(1)
					go func() {
						defer pw.Done()
						r := rec
						for range n {
							for !p.PublishWait(context.Background(), &r, time.Second) {
							}
						}
					}()
				}
				pw.Wait()
				if sent += n; sent < per {
					<-tick.C
				}
			}
			// Settled: every dashboard has every record, or its queue is
			// empty and nothing more arrives (the rest was dropped).
			total := int64(per * len(pubs))
			sum := func() (n int64, all bool) {
				all = true
				for i := range got {
					d := got[i].Load() - start[i]
					n += d
					all = all && d >= total
				}
				return n, all
			}
			last, quiet := int64(-1), 0
			deadline := time.Now().Add(30 * time.Second)
			for ; time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				n, all := sum()
				if all {
					break
				}
				if n == last && br.Stats().Fanout.Queued == 0 {
					if quiet++; quiet == 20 {
						break
					}
				} else {
					quiet = 0
				}
				last = n
			}
			if time.Now().After(deadline) {
				var d [dashboards]int64
				for i := range got {
					d[i] = got[i].Load() - start[i]
				}
				b.Fatalf("not settled: delivered %v of %d each; fan-out %+v", d, total, br.Stats().Fanout.Peers)
			}
			b.StopTimer()
			st := br.Stats()
			msgs := float64(st.Forwarded-base.Forwarded) * dashboards
			b.ReportMetric(100*float64(st.Fanout.Dropped.QueueFull-base.Fanout.Dropped.QueueFull)/msgs, "%dropped")
			var delivered int64
			for i := range got {
				delivered += got[i].Load() - start[i]
			}
			b.ReportMetric(float64(delivered)/float64(total*dashboards)*100, "%delivered")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(max(delivered, 1)), "cpu-ns/delivered")
		})
	}
}
