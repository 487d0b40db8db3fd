package codec

import (
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/topic"
)

func BenchmarkEncode(b *testing.B) {
	r := testsupport.TypicalRecord()
	for _, enc := range []topic.Encoding{topic.Msgpack, topic.JSON} {
		b.Run(string(enc), func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = AppendRecord(buf[:0], enc, &r)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	r := testsupport.TypicalRecord()
	for _, enc := range []topic.Encoding{topic.Msgpack, topic.JSON} {
		b.Run(string(enc), func(b *testing.B) {
			payload, _ := AppendRecord(nil, enc, &r)
			var d Decoder
			var got logbus.Record
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := d.DecodeRecord(enc, payload, &got); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkDecodeReference decodes the same msgpack payload with
// github.com/vmihailenco/msgpack/v5 into a generic map: the yardstick for
// the hand-written decoder.
func BenchmarkDecodeReference(b *testing.B) {
	r := testsupport.TypicalRecord()
	r.Attrs[6].Value = logbus.IntValue(1500) // the duration extension is logbus's own
	payload := AppendRecordMsgpack(nil, &r)
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		if err := msgpack.Unmarshal(payload, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDecodePython decodes what distlog's ZmqHandler sends.
func BenchmarkDecodePython(b *testing.B) {
	frames := [][]byte{[]byte("PLJ"), []byte(`{"name": "root", "msg": "hello %s #%d", "args": null, "levelname": "INFO", "levelno": 20, "pathname": "/opt/labhost1/scripts/send_distlog.py", "filename": "send_distlog.py", "module": "send_distlog", "exc_info": null, "exc_text": null, "stack_info": null, "lineno": 61, "funcName": "run_log_cases", "created": 1795343867.479808, "msecs": 479.0, "relativeCreated": 591.7487144470215, "thread": 139911978836032, "threadName": "MainThread", "processName": "MainProcess", "process": 11861, "context": null, "message": "hello world #42", "asctime": "2026-11-22 10:37:47,479", "hostname": "vm", "equipment_id": "scope-3"}`)}
	benchDecodeFrames(b, frames)
}

// BenchmarkDecodeLogbook decodes what logbook's ZeroMQHandler sends (one
// JSON frame; the broker gives it the topic PLJ).
func BenchmarkDecodeLogbook(b *testing.B) {
	frames := [][]byte{[]byte("PLJ"), []byte(`{"channel": "app.worker", "msg": "hello {0} #{1} from {who}", "args": ["world", 42], "kwargs": {"who": "bob"}, "level": 11, "extra": {"equipment_id": "scope-3"}, "frame_correction": 0, "process": 12024, "heavy_initialized": true, "time": "2026-11-22T10:38:25.984645Z", "formatted_exception": null, "module": "__main__", "exception_message": null, "filename": "/opt/labhost1/scripts/send_logbook.py", "greenlet": 140401345765440, "message": "hello world #42 from bob", "process_name": null, "exception_name": null, "thread_name": "MainThread", "lineno": 57, "func_name": "main", "thread": 140401345765440, "information_pulled": true}`)}
	benchDecodeFrames(b, frames)
}

// benchDecodeFrames decodes frames b.N times, reporting records/s.
func benchDecodeFrames(b *testing.B, frames [][]byte) {
	var d Decoder
	var m Message
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(frames, &m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkJSONScanFloor measures what merely reading the same JSON
// payload costs, without building anything: the standard library's
// json.Valid, and a loop that only touches every byte. They bound from
// below what any decoder that reads JSON a byte at a time can reach
// (BenchmarkDecode/J builds the record as well); compare with
// BenchmarkDecode/M in the same run.
func BenchmarkJSONScanFloor(b *testing.B) {
	r := testsupport.TypicalRecord()
	payload, _ := AppendRecord(nil, topic.JSON, &r)
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if !json.Valid(payload) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("quotes", func(b *testing.B) {
		// Counting quote characters: the least a string-aware reader does
		// per byte.
		b.SetBytes(int64(len(payload)))
		n := 0
		for b.Loop() {
			for _, c := range payload {
				if c == '"' {
					n++
				}
			}
		}
		if n == 0 {
			b.Fatal("no quotes")
		}
	})
}
