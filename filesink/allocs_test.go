package filesink

import (
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/subscriber"
)

// TestWriteAllocs pins README's figure: in steady state (file open,
// buffers grown) writing an INFO record allocates nothing.
func TestWriteAllocs(t *testing.T) {
	s := newSink(t, Config{Root: t.TempDir()})
	ev := subscriber.Event{Kind: subscriber.KindRecord, Topic: plm, Record: &logbus.Record{
		Envelope: logbus.Envelope{Time: time.Now(), Host: "lab-7", Equipment: "eq-1"},
		Level:    logbus.LevelInfo, Logger: "stage", Message: "stage moved beyond soft limit on axis x",
		Attrs: []logbus.Attr{{Key: "target_um", Value: logbus.FloatValue(1250.5)}, {Key: "retries", Value: logbus.IntValue(3)}},
	}}
	write := func() {
		s.Add(ev)
		if s.pendingBytes >= maxBatch {
			s.Flush()
		}
	}
	for range 20000 { // open the file, grow the buffers
		write()
	}
	s.Flush()
	if n := testing.AllocsPerRun(20000, write); n != 0 {
		t.Errorf("writing a record allocates %v times, want 0", n)
	}
}
