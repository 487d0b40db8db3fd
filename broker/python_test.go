package broker_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testbus"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/pyinterop"
	"github.com/logbus/logbus/internal/vectors"
	"github.com/logbus/logbus/publisher"
	"github.com/logbus/logbus/topic"
)

// TestPythonDistlogReplay: a libzmq PUSH client sends every captured
// distlog message (JSON and pickle, all topics); the subscriber decodes
// each one.
func TestPythonDistlogReplay(t *testing.T) {
	py := pyinterop.Python(t, "zmq")
	var msgs [][]string
	for _, name := range []string{"distlog_json", "distlog_pickle", "distlog_topics", "distlog_genload"} {
		vs, _, err := vectors.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			msgs = append(msgs, v.HexFrame)
		}
	}
	b := testbus.StartBroker(t, nil)
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, dash)
	payload, err := json.Marshal(msgs)
	if err != nil {
		t.Fatal(err)
	}
	proc := pyinterop.Start(t, py, `
import json, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.connect(sys.argv[1])
for frames in json.loads(sys.argv[2]):
    s.send_multipart([bytes.fromhex(f) for f in frames])
s.close(linger=5000)
ctx.term()
print("sent", len(json.loads(sys.argv[2])))
`, b.Ingest(), string(payload))
	recs, gaps := collect(t, dash, len(msgs), 20*time.Second)
	proc.Wait(t, 20*time.Second)
	if len(gaps) != 0 {
		t.Errorf("gaps for unnumbered senders: %v", gaps)
	}
	byMsg := map[string]bool{}
	for _, r := range recs {
		byMsg[r.Message] = true
	}
	for _, want := range []string{"hello world #42", "division failed for x=0", "odd path", "big ints"} {
		if !byMsg[want] {
			t.Errorf("record %q not received", want)
		}
	}
	if st := b.Stats(); st.Rejected.Total() != 0 {
		t.Errorf("rejected %+v", st.Rejected)
	}
}

// TestPythonLogbookHandler: logbook's real ZeroMQHandler(multi=True)
// (one JSON frame per record, no topic) through the broker.
func TestPythonLogbookHandler(t *testing.T) {
	py := pyinterop.Python(t, "zmq", "logbook")
	b := testbus.StartBroker(t, nil)
	dash := testbus.Subscriber(t, b.Fanout(), nil)
	p := testbus.Publisher(t, b.Ingest(), nil)
	testbus.Joined(t, p, dash)
	proc := pyinterop.Start(t, py, `
import sys, logbook
from logbook.queues import ZeroMQHandler
h = ZeroMQHandler(sys.argv[1], multi=True)
log = logbook.Logger("lab.stage")
with h.applicationbound():
    for i in range(50):
        log.info("move {}", i, extra={"equipment_id": "stage-2", "i": i})
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("calibration failed")
h.close()
print("done")
`, b.Ingest())
	// Where records stop, should they (a loaded CI run once saw none of
	// the 51 arrive, the script having sent them all).
	t.Cleanup(func() {
		if t.Failed() {
			st := b.Stats()
			t.Logf("broker: in %d, forwarded %d, single-frame %d, rejected %+v; ingest connects %d, rejects %+v, received %d; fan-out %+v",
				st.In, st.Forwarded, st.SingleFrame, st.Rejected, st.Ingest.Connects, st.Ingest.Rejected, st.Ingest.Received, st.Fanout)
		}
	})
	recs, _ := collect(t, dash, 51, 30*time.Second)
	proc.Wait(t, 30*time.Second)
	for i, r := range recs[:50] {
		if r.Message != fmt.Sprintf("move %d", i) || r.Logger != "lab.stage" || r.Equipment != "stage-2" || r.Level != logbus.LevelInfo {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	if last := recs[50]; last.Level != logbus.LevelError || !strings.Contains(last.Error, "ZeroDivisionError") {
		t.Errorf("exception record: %+v", last)
	}
	if st := b.Stats(); st.SingleFrame != 51 {
		t.Errorf("single-frame count %d", st.SingleFrame)
	}
}

// TestPythonSubscriber: a libzmq SUB receives the fan-out, prefix
// filtered, and reads our JSON records with the standard json module.
func TestPythonSubscriber(t *testing.T) {
	py := pyinterop.Python(t, "zmq")
	b := testbus.StartBroker(t, nil)
	proc := pyinterop.Start(t, py, `
import json, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.SUB)
s.setsockopt(zmq.SUBSCRIBE, b"SLJ")
s.connect(sys.argv[1])
seen = []
while len(seen) < 5:
    topic, payload = s.recv_multipart()
    rec = json.loads(payload)
    if rec["msg"] == "probe":
        continue
    seen.append([topic.decode(), rec["msg"], rec["level"], rec["equipment"]])
print(json.dumps(seen))
s.close(linger=0)
ctx.term()
`, b.Fanout())
	staging := testbus.Publisher(t, b.Ingest(), &publisher.Options{System: logbus.Staging, Encoding: topic.JSON})
	production := testbus.Publisher(t, b.Ingest(), &publisher.Options{System: logbus.Production, Encoding: topic.JSON})
	// Until the Python SUB has joined, PUB semantics drop messages for it:
	// keep publishing numbered records until it has five.
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; !strings.Contains(proc.Stdout(), "]]"); i++ {
		if time.Now().After(deadline) {
			t.Fatal("python subscriber received nothing")
		}
		staging.Publish(&logbus.Record{Level: logbus.LevelWarn, Message: fmt.Sprintf("m%d", i), Envelope: logbus.Envelope{Equipment: "scope-3"}})
		production.Publish(&logbus.Record{Message: "filtered out"})
		time.Sleep(10 * time.Millisecond)
	}
	var seen [][]string
	if err := json.Unmarshal([]byte(proc.Wait(t, 10*time.Second)), &seen); err != nil {
		t.Fatal(err)
	}
	for _, s := range seen {
		if s[0] != "SLJ/scope-3/" || !strings.HasPrefix(s[1], "m") || s[2] != "WARN" || s[3] != "scope-3" {
			t.Errorf("python received %q", s)
		}
	}
}
