package filesink_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/filesink"
	"github.com/logbus/logbus/internal/pyinterop"
	"github.com/logbus/logbus/internal/testbus"
	"github.com/logbus/logbus/internal/testsupport"
)

// sinkOnBroker starts a broker and a file sink archiving it into a new
// root with the given path template; both stop at the test's end.
func sinkOnBroker(t *testing.T, tmpl string, bcfg *broker.Config) (*testbus.Broker, string) {
	t.Helper()
	b := testbus.StartBroker(t, bcfg)
	return b, testbus.FileSink(t, b, &filesink.Config{PathTemplate: tmpl})
}

func fileText(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// TestPythonLogbookIntoEquipmentFiles (issue #16: logbook records carry
// no host, and every one was refused to central.log): logbook's real
// ZeroMQHandler, through a broker, into per-equipment files with the
// default layout and the lab wizard's, filed under the sender's address.
func TestPythonLogbookIntoEquipmentFiles(t *testing.T) {
	py := pyinterop.Python(t, "zmq", "logbook")
	for _, layout := range []struct{ tmpl, file string }{
		{filesink.DefaultConfig().PathTemplate, "stage-2/127.0.0.1.log"},
		{"{equipment}/.exlab-wizard/wizard.{host}.log", "stage-2/.exlab-wizard/wizard.127.0.0.1.log"},
	} {
		t.Run(layout.file, func(t *testing.T) {
			b, root := sinkOnBroker(t, layout.tmpl, nil)
			proc := pyinterop.Start(t, py, `
import sys, logbook
from logbook.queues import ZeroMQHandler
h = ZeroMQHandler(sys.argv[1], multi=True)
log = logbook.Logger("lab.stage")
with h.applicationbound():
    for i in range(20):
        log.info("move {}", i, extra={"equipment_id": "stage-2"})
    try:
        1 / 0
    except ZeroDivisionError:
        log.exception("calibration failed", extra={"equipment_id": "stage-2"})
    log.warning("no equipment here")
h.close()
`, b.Ingest())
			proc.Wait(t, 30*time.Second)
			path := filepath.Join(root, layout.file)
			central := filepath.Join(root, "central.log")
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if strings.Count(fileText(path), "[equip:stage-2]") == 21 && strings.Contains(fileText(central), "no equipment here") {
					break
				}
				if time.Now().After(deadline) {
					st := b.Stats()
					t.Fatalf("after 20 s, %s holds %d of 21 records; broker in %d, forwarded %d, archive %+v\n%s\ncentral.log:\n%s",
						layout.file, strings.Count(fileText(path), "[equip:stage-2]"), st.In, st.Forwarded, st.Archive, fileText(path), fileText(central))
				}
			}
			text := fileText(path)
			if !strings.Contains(text, "INFO [host:127.0.0.1] [equip:stage-2] lab.stage: move 19 ") ||
				!strings.Contains(text, "ERROR [host:127.0.0.1] [equip:stage-2] lab.stage: calibration failed ") ||
				!strings.Contains(text, "ZeroDivisionError") || !strings.Contains(text, "logbus.host_from=address") {
				t.Errorf("%s:\n%s", layout.file, text)
			}
			if c := fileText(central); strings.Contains(c, "REFUSED") || strings.Contains(c, "move ") {
				t.Errorf("central.log:\n%s", c)
			}
		})
	}
}

// TestPythonPUBHandlerRejected (issue #16: pyzmq's logging PUBHandler on
// a PUSH socket sends [b"INFO", b"text"], which the broker dropped with
// only a counter): its messages reach the central log as REJECTED lines,
// escaped, with a summary counting them all.
func TestPythonPUBHandlerRejected(t *testing.T) {
	py := pyinterop.Python(t, "zmq")
	b, root := sinkOnBroker(t, filesink.DefaultConfig().PathTemplate, &broker.Config{RejectReportInterval: 100 * time.Millisecond})
	proc := pyinterop.Start(t, py, `
import sys, logging, zmq
from zmq.log.handlers import PUBHandler
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.connect(sys.argv[1])
log = logging.getLogger("lab")
log.addHandler(PUBHandler(s))
log.setLevel(logging.INFO)
for i in range(30):
    log.info("motor %d hot", i)
s.close(linger=5000)
ctx.term()
`, b.Ingest())
	proc.Wait(t, 30*time.Second)
	central := filepath.Join(root, "central.log")
	summarized := func() (n int) {
		for _, m := range regexp.MustCompile(` REJECTED-SUMMARY .* messages=(\d+) `).FindAllStringSubmatch(fileText(central), -1) {
			k, _ := strconv.Atoi(m[1])
			n += k
		}
		return n
	}
	if !testsupport.Eventually(20*time.Second, func() bool { return summarized() == 30 }) {
		t.Fatalf("summaries count %d of 30 rejected messages; central.log:\n%s", summarized(), fileText(central))
	}
	text := fileText(central)
	copied := 0
	for _, m := range regexp.MustCompile(` REJECTED-SUMMARY .* copied=(\d+) `).FindAllStringSubmatch(text, -1) {
		k, _ := strconv.Atoi(m[1])
		copied += k
	}
	// At least the copy rate's burst, and as many as the summaries say.
	if c := strings.Count(text, ` REJECTED peer=127.0.0.1:`); c < 10 || c != copied {
		t.Errorf("%d REJECTED lines, summaries say %d copied, want ≥ 10:\n%s", c, copied, text)
	}
	if !strings.Contains(text, `reason=bad_topic frames=2 bytes=16 preview=["INFO" "motor 0 hot\n"]`) {
		t.Errorf("no escaped copy of the first message:\n%s", text)
	}
	if !strings.Contains(text, ` REJECTED-SUMMARY peer=127.0.0.1 `) {
		t.Errorf("no summary:\n%s", text)
	}
}
