package logbus

// Gap describes records that a publisher stream numbered but that never
// arrived: the stream's sequence number jumped on one topic. Subscribers
// detect gaps; the file sink and logbus tail report them as GAP notices.
type Gap struct {
	Stream  uint64
	Topic   string // the full topic frame, equipment suffix included
	Host    string
	PID     int64
	Missing uint64 // how many records are missing
	After   uint64 // the last sequence number received before the gap
}

// LinkGap describes messages lost on one hop after a broker: the numbers
// a broker gives what it sends on a link (its archive endpoint, or its
// --upstream connection; package origin) skipped some. It counts every
// lost message, whoever sent it; Unnumbered counts exactly the records
// among them from senders that do not number their records (distlog,
// logbook), which no stream Gap can report. The records of numbered
// streams among them are reported by those streams' Gaps.
type LinkGap struct {
	Link       uint64 // the link's id
	Hop        int    // 0: the link the subscriber reads; 1: the one before it (site to central); …
	Messages   uint64 // messages missing
	Unnumbered uint64 // records from unnumbered senders in them
	After      uint64 // the link's last number received before the gap
}
