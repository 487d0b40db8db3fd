package publisher

import (
	"github.com/logbus/logbus"
	"github.com/logbus/logbus/topic"
)

// maxRecordBytes bounds one encoded record. The broker refuses larger
// messages (and ZeroMQ would close the connection), so an oversized record
// is cut down instead of lost: its message and error are truncated and its
// attributes replaced by a note of the original size.
const maxRecordBytes = 1 << 20

const keepText = 64 << 10

func shrink(pl payload, dst []byte, enc topic.Encoding, size int) []byte {
	switch v := pl.(type) {
	case *recordPayload:
		r := *(*logbus.Record)(v)
		r.Message = truncate(r.Message)
		r.Error = truncate(r.Error)
		r.Attrs = []logbus.Attr{{Key: "logbus.truncated_bytes", Value: logbus.IntValue(int64(size))}}
		return (*recordPayload)(&r).appendTo(dst, enc)
	case *samplePayload:
		s := *(*logbus.Sample)(v)
		s.Attrs = []logbus.Attr{{Key: "logbus.truncated_bytes", Value: logbus.IntValue(int64(size))}}
		return (*samplePayload)(&s).appendTo(dst, enc)
	}
	return dst
}

func truncate(s string) string {
	if len(s) <= keepText {
		return s
	}
	cut := keepText
	for cut > 0 && s[cut]&0xc0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + " …[truncated]"
}
