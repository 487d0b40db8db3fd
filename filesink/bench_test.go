package filesink

import (
	"fmt"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/subscriber"
)

// benchWrite feeds b.N decoded records (about 200 bytes as text) through
// the sink in batches as Run would form them, and reports records/s.
func benchWrite(b *testing.B, cfg Config, level logbus.Level, equipments int) {
	cfg.Root = b.TempDir()
	s, err := New(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			b.Error(err)
		}
	}()
	evs := make([]subscriber.Event, equipments)
	for i := range evs {
		evs[i] = subscriber.Event{Kind: subscriber.KindRecord, Topic: plm, Record: &logbus.Record{
			Envelope: logbus.Envelope{Time: time.Now(), Host: "lab-7", Equipment: fmt.Sprintf("eq-%05d", i)},
			Level:    level, Logger: "stage", Message: "stage moved beyond soft limit on axis x",
			Attrs: []logbus.Attr{{Key: "target_um", Value: logbus.FloatValue(1250.5)}, {Key: "actual_um", Value: logbus.FloatValue(1251.25)},
				{Key: "retries", Value: logbus.IntValue(3)}, {Key: "operator", Value: logbus.StringValue("alice")}},
		}}
	}
	// Files exist in steady state: create them (with their directory
	// fsyncs) before timing.
	for i := range evs {
		s.Add(evs[i])
	}
	s.Flush()
	s.c = counters{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Add(evs[i%equipments])
		if s.pendingBytes >= maxBatch {
			s.Flush()
		}
	}
	s.Flush()
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(st.Bytes)/float64(b.N), "bytes/record")
	b.ReportMetric(float64(st.Fsyncs), "fsyncs")
}

func BenchmarkWriteInfo(b *testing.B)  { benchWrite(b, Config{}, logbus.LevelInfo, 1) }
func BenchmarkWriteError(b *testing.B) { benchWrite(b, Config{}, logbus.LevelError, 1) }
func BenchmarkWrite10kEquipments(b *testing.B) {
	benchWrite(b, Config{MaxOpen: 256}, logbus.LevelInfo, 10000)
}
