// Package python tests the Python logbus package (python/logbus) against
// real in-process brokers and file sinks, and runs its own unit tests.
package python

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/internal/pyinterop"
	"github.com/logbus/logbus/internal/testbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/internal/vectors"
	"github.com/logbus/logbus/publisher"
)

// TestPythonUnitTests runs the package's own unittest suite (python/tests)
// and reports how many ran. CI runs it in the venv where pip installed
// the package, and says so with LOGBUS_PYTHON_UNIT_DONE: then it is not
// run twice.
func TestPythonUnitTests(t *testing.T) {
	if os.Getenv("LOGBUS_PYTHON_UNIT_DONE") != "" {
		t.Skip("SKIP: .ci/run ran the Python unit tests already")
	}
	py, env := pyinterop.Package(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-m", "unittest", "discover", "-s", "tests", "-t", ".")
	cmd.Dir = pyinterop.SourceDir()
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	ran := regexp.MustCompile(`Ran (\d+) tests?`).FindSubmatch(out)
	if err != nil || ran == nil {
		t.Fatalf("python -m unittest: %v\n%s", err, out)
	}
	t.Logf("Python unit tests: %s ran, %s", ran[1], strings.TrimSpace(string(out[len(out)-min(len(out), 40):])))
}

// runScript writes script to a file (spawned children import it) and runs
// it with args, failing the test after d.
func runScript(t *testing.T, d time.Duration, script string, args ...string) (stdout, stderr string) {
	t.Helper()
	py, env := pyinterop.Package(t)
	path := filepath.Join(t.TempDir(), "prog.py")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{path}, args...)...)
	cmd.Env = env
	// A hung run ends the test, not CI: the script and the processes it
	// started (a pool's workers hold its output) are killed together.
	cmd.SysProcAttr = newProcessGroup()
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

const poolScript = `
import logging, multiprocessing as mp, sys
import logbus

def setup(endpoint):
    log = logging.getLogger("lab")
    log.handlers[:] = [logbus.Handler(endpoint, equipment="pool")]
    log.setLevel(logging.INFO)
    log.propagate = False

def work(i):
    log = logging.getLogger("lab")
    for j in range(1000):
        log.info("worker %d record %d", i, j)
    return i

if __name__ == "__main__":
    endpoint, method = sys.argv[1], sys.argv[2]
    setup(endpoint)
    ctx = mp.get_context(method)
    init = (setup, (endpoint,)) if method == "spawn" else (None, ())
    # The with block ends with terminate(): SIGTERM to the workers.
    with ctx.Pool(4, initializer=init[0], initargs=init[1]) as pool:
        print(pool.map(work, range(4)))
`

// TestPythonPool (issue #17: records logged from multiprocessing.Pool
// children were lost, 2 of 6 arrived): 4 workers × 1000 records, with
// fork and with spawn (what Windows uses), all in the equipment's file,
// no gap, the pool ended by terminate().
func TestPythonPool(t *testing.T) {
	for _, method := range []string{"fork", "spawn"} {
		t.Run(method, func(t *testing.T) {
			b := testbus.StartBroker(t, nil)
			root := testbus.FileSink(t, b, nil)
			out, _ := runScript(t, 2*time.Minute, poolScript, b.Ingest(), method)
			if !strings.Contains(out, "[0, 1, 2, 3]") {
				t.Fatalf("pool output %q", out)
			}
			host, err := os.Hostname()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(root, "pool", host+".log")
			count := func() int { return strings.Count(readText(file), " lab: worker ") }
			if !testsupport.Eventually(30*time.Second, func() bool { return count() == 4000 }) {
				t.Fatalf("%d of 4000 records in %s; central.log:\n%s", count(), file, readText(filepath.Join(root, "central.log")))
			}
			if c := readText(filepath.Join(root, "central.log")); strings.Contains(c, " GAP ") {
				t.Errorf("gaps reported:\n%s", c)
			}
		})
	}
}

func readText(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

const subscriberScript = `
import json, math, sys
import logbus
def plain(v):  # JSON for the test: NaN and infinities as text
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v
sub = logbus.Subscriber(sys.argv[1])
joined = False
for ev in sub:
    if ev.kind == "record":
        r = ev.record
        if r.msg == "probe":
            if not joined:
                print("joined", flush=True)
                joined = True
            continue
        print(json.dumps({"kind": "record", "topic": r.topic, "shape": r.shape, "msg": r.msg, "level": r.level_name,
                          "logger": r.logger, "equipment": r.equipment, "attrs": plain(r.attrs), "seq": r.seq}, default=repr),
              flush=True)
        if r.msg == "end":
            break
    else:
        print(json.dumps({"kind": ev.kind, "topic": ev.topic, "error": ev.error}, default=repr), flush=True)
sub.close()
`

// TestPythonSubscriberReadsEveryKind: logbus.Subscriber on the fan-out
// decodes what every kind of sender puts there (a Go publisher's msgpack,
// distlog's JSON and pickles, logbook's JSON) and a hostile pickle as plain
// data, running nothing.
func TestPythonSubscriberReadsEveryKind(t *testing.T) {
	py, env := pyinterop.Package(t, "msgpack")
	b := testbus.StartBroker(t, nil)
	proc := pyinterop.StartEnv(t, py, env, subscriberScript, b.Fanout())
	goPub := testbus.Publisher(t, b.Ingest(), nil)
	joined(t, goPub, proc, "the Python subscriber")

	// distlog's captured frames (JSON and pickle) and a hostile pickle,
	// from a libzmq PUSH.
	frames := distlogFrames(t, 5)
	marker := filepath.Join(t.TempDir(), "pwned")
	payload, err := json.Marshal(frames)
	if err != nil {
		t.Fatal(err)
	}
	pyinterop.StartEnv(t, py, env, `
import json, os, pickle, sys, zmq, logging
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + sys.argv[3],))
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.connect(sys.argv[1])
for fr in json.loads(sys.argv[2]):
    s.send_multipart([bytes.fromhex(f) for f in fr])
rec = logging.LogRecord("lab.evil", logging.WARNING, "/x.py", 1, "evil pickle", None, None).__dict__
rec["payload"] = Evil()
s.send_multipart([b"PLP", pickle.dumps(rec, protocol=2)])
s.close(linger=5000)
ctx.term()
`, b.Ingest(), string(payload), marker).Wait(t, 30*time.Second)
	// logbook's own handler.
	pyinterop.StartEnv(t, py, env, `
import sys, logbook
from logbook.queues import ZeroMQHandler
h = ZeroMQHandler(sys.argv[1], multi=True)
with h.applicationbound():
    logbook.Logger("lab.logbook").warning("from logbook", extra={"equipment_id": "cam-1"})
h.close()
`, b.Ingest()).Wait(t, 30*time.Second)
	goPub.Publish(&logbus.Record{Level: logbus.LevelError, Message: "from go", Envelope: logbus.Envelope{Equipment: "scope-3"}})
	// Senders on different connections are forwarded in no set order:
	// wait for all before the last record.
	testsupport.Eventually(20*time.Second, func() bool {
		o := proc.Stdout()
		return strings.Contains(o, `"from go"`) && strings.Contains(o, `"from logbook"`) && strings.Contains(o, `"evil pickle"`) &&
			strings.Count(o, `"shape": "distlog"`) >= len(frames)
	})
	goPub.Publish(&logbus.Record{Level: logbus.LevelInfo, Message: "end"})
	out := proc.Wait(t, 30*time.Second)

	shapes := map[string]int{}
	var evil map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev struct {
			Kind, Topic, Shape, Msg, Level, Logger, Equipment, Error string
			Attrs                                                    map[string]any
		}
		if sc.Text() == "joined" {
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		if ev.Kind != "record" {
			t.Errorf("event %s %s: %s", ev.Kind, ev.Topic, ev.Error)
			continue
		}
		shapes[ev.Shape+" "+ev.Topic[:3]]++
		switch ev.Msg {
		case "from go":
			if ev.Level != "ERROR" || ev.Equipment != "scope-3" || ev.Topic != "PLM/scope-3/" {
				t.Errorf("Go record: %+v", ev)
			}
		case "from logbook":
			if ev.Level != "WARN" || ev.Logger != "lab.logbook" || ev.Equipment != "cam-1" {
				t.Errorf("logbook record: %+v", ev)
			}
		case "evil pickle":
			evil = ev.Attrs
		}
	}
	for _, want := range []string{"logbus PLM", "distlog PLJ", "distlog PLP", "logbook PLJ"} {
		if shapes[want] == 0 {
			t.Errorf("no %s record; got %v", want, shapes)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the hostile pickle ran a command")
	}
	if p, _ := evil["payload"].(map[string]any); p == nil || !strings.HasSuffix(fmt.Sprint(p["$class"]), "system") {
		t.Errorf("hostile pickle's object: %v", evil)
	}
}

// joined publishes probe records until the Python subscriber proc says it
// received one ("joined").
func joined(t *testing.T, p *publisher.Publisher, proc *pyinterop.Proc, who string) {
	t.Helper()
	testsupport.Probe(t, 20*time.Second, who+" to join",
		func() { p.Publish(&logbus.Record{Message: "probe", Level: logbus.LevelDebug}) },
		func(ctx context.Context) bool { return strings.Contains(proc.Stdout(), "joined") })
}

// distlogFrames returns the first perFile captured distlog messages of
// JSON and of pickle, as hex frames.
func distlogFrames(t *testing.T, perFile int) [][]string {
	t.Helper()
	var frames [][]string
	for _, name := range []string{"distlog_json", "distlog_pickle"} {
		vs, _, err := vectors.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs[:min(len(vs), perFile)] {
			frames = append(frames, v.HexFrame)
		}
	}
	return frames
}

const logbookSubscriberScript = `
import json, sys
from logbook.queues import ZeroMQSubscriber
sub = ZeroMQSubscriber(sys.argv[1])
joined = False
while True:
    r = sub.recv(timeout=30)
    if r is None:
        break
    if r.message == "probe":
        if not joined:
            print("joined", flush=True)
            joined = True
        continue
    print(json.dumps({"level": r.level_name, "channel": r.channel, "message": r.message,
                      "equipment": r.extra.get("equipment_id", ""), "host": r.extra.get("hostname", ""),
                      "time": r.time.isoformat()}), flush=True)
    if r.message == "end":
        break
`

// TestPythonLogbookSubscriber (issue #17: logbook's own ZeroMQSubscriber
// died on the fan-out's topic frame): pointed at the broker's logbook
// fan-out, an unchanged logbook subscriber receives records sent by a Go
// publisher, distlog (JSON and pickle) and logbook, with level, channel,
// message and equipment.
func TestPythonLogbookSubscriber(t *testing.T) {
	py, env := pyinterop.Package(t, "logbook")
	b := testbus.StartBroker(t, &broker.Config{FanoutLogbook: testbus.Loopback})
	proc := pyinterop.StartEnv(t, py, env, logbookSubscriberScript, b.Endpoints().FanoutLogbook)
	goPub := testbus.Publisher(t, b.Ingest(), nil)
	joined(t, goPub, proc, "the logbook subscriber")
	frames := distlogFrames(t, 1)
	payload, err := json.Marshal(frames)
	if err != nil {
		t.Fatal(err)
	}
	pyinterop.StartEnv(t, py, env, `
import json, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.connect(sys.argv[1])
for fr in json.loads(sys.argv[2]):
    s.send_multipart([bytes.fromhex(f) for f in fr])
s.close(linger=5000)
ctx.term()
`, b.Ingest(), string(payload)).Wait(t, 30*time.Second)
	pyinterop.StartEnv(t, py, env, `
import sys, logbook
from logbook.queues import ZeroMQHandler
h = ZeroMQHandler(sys.argv[1], multi=True)
with h.applicationbound():
    logbook.Logger("lab.logbook").error("from logbook {0}", "x", extra={"equipment_id": "cam-1"})
h.close()
`, b.Ingest()).Wait(t, 30*time.Second)
	goPub.Publish(&logbus.Record{Level: logbus.LevelWarn, Message: "from go {braces}", Logger: "lab.go",
		Envelope: logbus.Envelope{Equipment: "scope-3"}})
	testsupport.Eventually(20*time.Second, func() bool {
		o := proc.Stdout()
		return strings.Contains(o, "from go") && strings.Contains(o, "from logbook") && strings.Count(o, "hello world #42") >= 2
	})
	goPub.Publish(&logbus.Record{Level: logbus.LevelInfo, Message: "end"})
	out := proc.Wait(t, 30*time.Second)
	got := map[string]map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "joined" {
			continue
		}
		var r map[string]string
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		got[r["message"]] = r
	}
	for msg, want := range map[string]map[string]string{
		"from go {braces}": {"level": "WARNING", "channel": "lab.go", "equipment": "scope-3"},
		"from logbook x":   {"level": "ERROR", "channel": "lab.logbook", "equipment": "cam-1"},
		"hello world #42":  {"level": "INFO", "channel": "root"},
	} {
		r := got[msg]
		for k, v := range want {
			if r[k] != v {
				t.Errorf("%q: %s = %q, want %q (all: %v)", msg, k, r[k], v, r)
			}
		}
	}
	if st := b.Stats().Logbook; st.Records < 4 || st.Dropped != 0 {
		t.Errorf("logbook fan-out stats %+v", st)
	}
}
