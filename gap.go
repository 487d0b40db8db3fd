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
