package textline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/logbus/logbus"
)

// Notice events: what a notice reports, as its text begins with it.
const (
	EventGap                = "GAP"                 // records lost before the next one of a stream
	EventLinkGap            = "LINK-GAP"            // messages lost on a hop after a broker
	EventDropped            = "DROPPED"             // records the sink could not keep (its backlog was full)
	EventDecodeError        = "DECODE-ERROR"        // a message or payload could not be decoded
	EventRefused            = "REFUSED"             // a record's path was refused (unsafe or unusable)
	EventDestinationError   = "DESTINATION-ERROR"   // a write failed; its records went to the central log
	EventDestinationFailing = "DESTINATION-FAILING" // a destination keeps failing; records go to the central log
	EventRejected           = "REJECTED"            // a copy of a message the broker rejected
	EventRejectedSummary    = "REJECTED-SUMMARY"    // how many a peer sent that the broker rejected
)

// A Notice is a line logbus writes about the stream rather than a record
// of it. Build one with the functions below, so each kind reads the same
// wherever it is written.
type Notice struct {
	Event string        // one of the Event constants
	Text  string        // the line after its time: the event, then key=value details
	Attrs []logbus.Attr // the details as attributes for JSON output, "event" first
}

// GapNotice reports a gap:
//
//	GAP stream=00000000000000a1 topic=PLM/scope-3/ host=lab-7 pid=41 missing=5 after=1200
func GapNotice(g logbus.Gap) Notice {
	return Notice{
		Event: EventGap,
		Text: fmt.Sprintf("%s stream=%016x topic=%s host=%s pid=%d missing=%d after=%d",
			EventGap, g.Stream, g.Topic, g.Host, g.PID, g.Missing, g.After),
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("gap")},
			{Key: "stream", Value: logbus.StringValue(strconv.FormatUint(g.Stream, 16))},
			{Key: "topic", Value: logbus.StringValue(g.Topic)},
			{Key: "host", Value: logbus.StringValue(g.Host)},
			{Key: "pid", Value: logbus.IntValue(g.PID)},
			{Key: "missing", Value: logbus.Uint64Value(g.Missing)},
			{Key: "after", Value: logbus.Uint64Value(g.After)},
		},
	}
}

// LinkGapNotice reports messages lost on a hop after a broker (hop 0:
// the broker's archive to this sink; 1: the link before it):
//
//	LINK-GAP link=3f1c0a9e5b7d2e11 hop=0 messages=14 unnumbered=14 after=52310
func LinkGapNotice(g logbus.LinkGap) Notice {
	return Notice{
		Event: EventLinkGap,
		Text: fmt.Sprintf("%s link=%016x hop=%d messages=%d unnumbered=%d after=%d",
			EventLinkGap, g.Link, g.Hop, g.Messages, g.Unnumbered, g.After),
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("link-gap")},
			{Key: "link", Value: logbus.StringValue(strconv.FormatUint(g.Link, 16))},
			{Key: "hop", Value: logbus.IntValue(int64(g.Hop))},
			{Key: "messages", Value: logbus.Uint64Value(g.Messages)},
			{Key: "unnumbered", Value: logbus.Uint64Value(g.Unnumbered)},
			{Key: "after", Value: logbus.Uint64Value(g.After)},
		},
	}
}

// DroppedNotice reports records the file sink had to drop, from first to
// last:
//
//	DROPPED records=120 reason="central log not writable, backlog full" first=2026-11-29T17:40:00Z last=2026-11-29T17:40:09Z
func DroppedNotice(records uint64, reason string, first, last time.Time) Notice {
	return Notice{
		Event: EventDropped,
		Text: fmt.Sprintf("%s records=%d reason=%q first=%s last=%s", EventDropped, records, reason,
			first.UTC().Format(time.RFC3339Nano), last.UTC().Format(time.RFC3339Nano)),
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("dropped")},
			{Key: "records", Value: logbus.Uint64Value(records)},
			{Key: "reason", Value: logbus.StringValue(reason)},
			{Key: "first", Value: logbus.TimeValue(first)},
			{Key: "last", Value: logbus.TimeValue(last)},
		},
	}
}

// DecodeErrorNotice reports a message from topic (its wire form, "" when
// it did not parse) that could not be decoded, and who sent it (the
// broker's view, "" when unknown: only the archive tells):
//
//	DECODE-ERROR topic=PLM peer=192.0.2.7:50112 codec: malformed msgpack: …
func DecodeErrorNotice(topic, peer string, err error) Notice {
	text := fmt.Sprintf("%s topic=%s %v", EventDecodeError, topic, err)
	if peer != "" {
		text = fmt.Sprintf("%s topic=%s peer=%s %v", EventDecodeError, topic, appendTextString(nil, peer), err)
	}
	return Notice{
		Event: EventDecodeError,
		Text:  text,
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("decode_error")},
			{Key: "topic", Value: logbus.StringValue(topic)},
			{Key: "peer", Value: logbus.StringValue(peer)},
			{Key: "error", Value: logbus.StringValue(err.Error())},
		},
	}
}

// RefusedNotice reports a record of the given kind ("record", "sample")
// whose destination was refused:
//
//	REFUSED sample: filesink: unsafe path component: {equipment} = ".."
func RefusedNotice(kind string, err error) Notice {
	return Notice{
		Event: EventRefused,
		Text:  fmt.Sprintf("%s %s: %v", EventRefused, kind, err),
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("refused")},
			{Key: "error", Value: logbus.StringValue(err.Error())},
		},
	}
}

// DestinationErrorNotice reports a failed write to path whose records
// went to the central log instead:
//
//	DESTINATION-ERROR path="scope-3/lab-7.log" records=12 err="no space left on device"
func DestinationErrorNotice(path string, records int, err error) Notice {
	return Notice{
		Event: EventDestinationError,
		Text:  fmt.Sprintf("%s path=%s records=%d err=%q", EventDestinationError, strconv.Quote(path), records, err.Error()),
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("destination_error")},
			{Key: "path", Value: logbus.StringValue(path)},
			{Key: "records", Value: logbus.IntValue(int64(records))},
			{Key: "error", Value: logbus.StringValue(err.Error())},
		},
	}
}

// DestinationFailingNotice reports a destination that keeps failing:
//
//	DESTINATION-FAILING path="scope-3/lab-7.log" err=permission denied
func DestinationFailingNotice(path string, err error) Notice {
	return Notice{
		Event: EventDestinationFailing,
		Text:  fmt.Sprintf("%s path=%s err=%v", EventDestinationFailing, strconv.Quote(path), err),
		Attrs: []logbus.Attr{
			{Key: "event", Value: logbus.StringValue("destination_failing")},
			{Key: "path", Value: logbus.StringValue(path)},
			{Key: "error", Value: logbus.StringValue(fmt.Sprint(err))},
		},
	}
}

// RejectedNotice reports a broker's report of rejected messages
// (logbus.Rejected), a copy of one:
//
//	REJECTED peer=192.0.2.7:50112 user=- reason=bad_topic frames=2 bytes=11 preview=["INFO" "motor hot"]
//
// or a summary:
//
//	REJECTED-SUMMARY peer=192.0.2.7:50112 user=- reason=bad_topic messages=5312 copied=100 first=… last=… preview=["INFO" "motor hot"]
//
// The preview is the broker's escaped form; one that is not (a broker of
// another make) is quoted again, so a line stays one line.
func RejectedNotice(r *logbus.Rejected) Notice {
	user := r.User
	if user == "" {
		user = "-"
	}
	preview := r.Preview
	if strings.ContainsFunc(preview, func(c rune) bool { return c != ' ' && !unicode.IsPrint(c) }) {
		preview = strconv.Quote(preview)
	}
	peer := appendTextString(nil, r.Peer)
	n := Notice{Attrs: []logbus.Attr{
		{Key: "event", Value: logbus.StringValue("rejected")},
		{Key: "peer", Value: logbus.StringValue(r.Peer)},
		{Key: "user", Value: logbus.StringValue(r.User)},
		{Key: "reason", Value: logbus.StringValue(r.Reason)},
	}}
	if r.Summary {
		n.Event = EventRejectedSummary
		n.Text = fmt.Sprintf("%s peer=%s user=%s reason=%s messages=%d copied=%d first=%s last=%s preview=%s",
			EventRejectedSummary, peer, appendTextString(nil, user), appendTextString(nil, r.Reason), r.Count, r.Copies,
			r.First.UTC().Format(time.RFC3339Nano), r.Last.UTC().Format(time.RFC3339Nano), preview)
		n.Attrs[0].Value = logbus.StringValue("rejected_summary")
		n.Attrs = append(n.Attrs,
			logbus.Attr{Key: "messages", Value: logbus.Uint64Value(r.Count)},
			logbus.Attr{Key: "copied", Value: logbus.Uint64Value(r.Copies)},
			logbus.Attr{Key: "first", Value: logbus.TimeValue(r.First)},
			logbus.Attr{Key: "last", Value: logbus.TimeValue(r.Last)})
	} else {
		n.Event = EventRejected
		n.Text = fmt.Sprintf("%s peer=%s user=%s reason=%s frames=%d bytes=%d preview=%s",
			EventRejected, peer, appendTextString(nil, user), appendTextString(nil, r.Reason), r.Frames, r.Bytes, preview)
		n.Attrs = append(n.Attrs, logbus.Attr{Key: "arrival", Value: logbus.TimeValue(r.First)})
	}
	n.Attrs = append(n.Attrs,
		logbus.Attr{Key: "frames", Value: logbus.IntValue(int64(r.Frames))},
		logbus.Attr{Key: "bytes", Value: logbus.IntValue(int64(r.Bytes))},
		logbus.Attr{Key: "preview", Value: logbus.StringValue(r.Preview)})
	return n
}

// AppendNotice appends n as a text line: its time (as records have it;
// none when t is zero), its text, a newline.
func AppendNotice(dst []byte, t time.Time, n *Notice) []byte {
	if !t.IsZero() {
		dst = appendUTCMillis(dst, t)
		dst = append(dst, ' ')
	}
	dst = append(dst, n.Text...)
	return append(dst, '\n')
}

// Record returns n as the WARN record a JSON output writes for it, from
// logger (the writing component, e.g. "logbus.filesink"), at t.
func (n *Notice) Record(logger string, t time.Time) logbus.Record {
	return logbus.Record{Envelope: logbus.Envelope{Time: t}, Level: logbus.LevelWarn, Logger: logger,
		Message: n.Text, Attrs: n.Attrs}
}
