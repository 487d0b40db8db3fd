package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/logbus/logbus"
)

// rejectedJSON is the payload of a topic.Rejected message (docs/wire.md).
// These reports are rare (bounded by the broker's rate), so the standard
// library's reflection-based JSON serves.
type rejectedJSON struct {
	Logbus  int    `json:"logbus"`
	Summary bool   `json:"summary"`
	Peer    string `json:"peer"`
	User    string `json:"user,omitempty"`
	Reason  string `json:"reason"`
	Count   uint64 `json:"count"`
	Copies  uint64 `json:"copies,omitempty"`
	First   string `json:"first"`
	Last    string `json:"last"`
	Frames  int    `json:"frames"`
	Bytes   int    `json:"bytes"`
	Preview string `json:"preview"`
}

// AppendRejected appends r as the JSON payload of a topic.Rejected
// message: {"logbus":1,"summary":false,"peer":"…","reason":"bad_topic",
// "count":1,"first":"RFC 3339","last":"…","frames":2,"bytes":11,
// "preview":"[\"INFO\" \"text\"]"}; "user" and "copies" only when set.
func AppendRejected(dst []byte, r *logbus.Rejected) []byte {
	b, err := json.Marshal(rejectedJSON{Logbus: schemaVersion, Summary: r.Summary, Peer: r.Peer, User: r.User,
		Reason: r.Reason, Count: r.Count, Copies: r.Copies,
		First: r.First.UTC().Format(time.RFC3339Nano), Last: r.Last.UTC().Format(time.RFC3339Nano),
		Frames: r.Frames, Bytes: r.Bytes, Preview: r.Preview})
	if err != nil { // strings and numbers only: cannot happen
		panic(err)
	}
	return append(dst, b...)
}

// DecodeRejected decodes a topic.Rejected payload into r. Errors wrap
// ErrJSON (not JSON) or ErrSchema (a field of the wrong type, a bad time).
func DecodeRejected(payload []byte, r *logbus.Rejected) error {
	var j rejectedJSON
	if err := json.Unmarshal(payload, &j); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%w: rejected report: %w", ErrSchema, err)
		}
		return fmt.Errorf("%w: rejected report: %w", ErrJSON, err)
	}
	first, err1 := time.Parse(time.RFC3339Nano, j.First)
	last, err2 := time.Parse(time.RFC3339Nano, j.Last)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: rejected report: times %q, %q", ErrSchema, j.First, j.Last)
	}
	*r = logbus.Rejected{Summary: j.Summary, Peer: j.Peer, User: j.User, Reason: j.Reason, Count: j.Count,
		Copies: j.Copies, First: first.UTC(), Last: last.UTC(), Frames: j.Frames, Bytes: j.Bytes, Preview: j.Preview}
	return nil
}
