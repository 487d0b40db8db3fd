package logbus

import "time"

// Why a broker rejects a message at ingest (the reason label of its
// messages_rejected_total metric).
const (
	RejectBadTopic  = "bad_topic"  // the first frame is not a topic (topic.Parse)
	RejectNoPayload = "no_payload" // a topic with no payload, or an empty payload frame
	RejectNotJSON   = "not_json"   // one frame that is neither a topic nor a JSON object
)

// Rejected reports messages a broker refused at ingest, so that nothing a
// peer sends disappears without trace (pyzmq's PUBHandler on a PUSH
// socket, a misconfigured client, a port scanner). A broker sends two
// kinds: a copy of one rejected message (Summary false: Count 1, its
// Preview), to archivers only and at a bounded rate; and a summary per
// peer and reason (Summary true) every few seconds while rejections go
// on, to archivers and dashboards both.
type Rejected struct {
	Summary bool
	Peer    string // the sender's address as the broker saw it ("192.0.2.7:50112"); "" for in-process peers
	User    string // its PLAIN login; empty without one
	Reason  string // RejectBadTopic, RejectNoPayload or RejectNotJSON
	// Count is how many messages this report covers: 1 for a copy; for a
	// summary, those since the peer's previous summary for this reason.
	Count uint64
	// Copies is how many of them were archived as copies (summaries
	// only): the rest were counted but not kept, past the broker's rate
	// or with an archiver's queue full.
	Copies      uint64
	First, Last time.Time // when the broker received the first and last of them (UTC)
	// Frames and Bytes describe the (first) message: its frame count and
	// total size.
	Frames, Bytes int
	// Preview is the message's frames, each as a Go-quoted string
	// (control bytes, invalid UTF-8 and quotes escaped), in brackets:
	// ["INFO" "motor hot\n"]. Frames are cut to a bound (4 KiB in all
	// for a copy, 256 bytes for a summary), the cut marked with "…".
	Preview string
}
