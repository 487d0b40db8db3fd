package broker

import (
	"sync"
	"sync/atomic"

	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/dialect"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

// The logbook fan-out (Config.FanoutLogbook): every log record, whoever
// sent it and in whatever encoding, re-encoded as logbook's single JSON
// frame (dialect.AppendLogbookJSON) on a PUB endpoint of its own, so that
// an unchanged logbook ZeroMQSubscriber dashboard reads the bus.
//
// It is the only place the broker decodes and re-encodes, so it stays
// off the forwarding path: the forwarding loop copies a log message into
// a bounded queue without waiting (FanoutLogbookQueue messages; when it
// is full the message is dropped and counted) and a goroutine of its own
// decodes, encodes and sends (lossy, as the fan-out: a slow logbook
// subscriber loses messages, counted by the socket).
type logbookFanout struct {
	sock  *zmtp.Socket
	queue chan [][]byte
	pool  sync.Pool // *[][]byte: copies of a message's frames
	done  chan struct{}

	dropped, records, decodeErrors atomic.Uint64
}

// logbookCopyCap bounds a pooled copy kept for reuse (bytes).
const logbookCopyCap = 64 << 10

func newLogbookFanout(sock *zmtp.Socket, queue int) *logbookFanout {
	return &logbookFanout{sock: sock, queue: make(chan [][]byte, queue)}
}

// offer hands m (a log message: topic and payloads) to the goroutine, or
// counts it dropped. It never waits.
func (l *logbookFanout) offer(m zmtp.Msg) {
	var frames [][]byte
	if p, ok := l.pool.Get().(*[][]byte); ok {
		frames = *p
	}
	// Reuse the copy's frame buffers (len(frames) of them were kept).
	for i, f := range m {
		if i < len(frames) {
			frames[i] = append(frames[i][:0], f...)
		} else {
			frames = append(frames, append([]byte(nil), f...))
		}
	}
	frames = frames[:len(m)]
	select {
	case l.queue <- frames:
	default:
		l.dropped.Add(1)
	}
}

// start runs the encoding goroutine until stop is closed, then sends
// what is queued and returns (done closes).
func (l *logbookFanout) start(stop <-chan struct{}) {
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		var d codec.Decoder
		var m codec.Message
		var buf []byte
		send := func(frames [][]byte) {
			if err := d.Decode(frames, &m); err != nil {
				l.decodeErrors.Add(1)
			}
			for i := range m.Records {
				buf = dialect.AppendLogbookJSON(buf[:0], &m.Records[i])
				if l.sock.TrySend(zmtp.Msg{buf}) == nil {
					l.records.Add(1)
				}
			}
			size := 0
			for _, f := range frames {
				size += cap(f)
			}
			if size <= logbookCopyCap {
				l.pool.Put(&frames)
			}
		}
		for {
			select {
			case frames := <-l.queue:
				send(frames)
			case <-stop:
				for {
					select {
					case frames := <-l.queue:
						send(frames)
					default:
						return
					}
				}
			}
		}
	}()
}

// isLog reports whether a validated message's topic is of log records.
func isLog(t []byte) bool { return len(t) >= 2 && topic.Kind(t[1]) == topic.Log }
