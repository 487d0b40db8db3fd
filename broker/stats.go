package broker

import "github.com/logbus/logbus/zmtp"

// Stats is a snapshot of the broker's counters.
type Stats struct {
	// In counts messages read from publishers; Forwarded those that passed
	// validation and went to every path; SingleFrame those among them that
	// were republished single-frame JSON.
	In, Forwarded, SingleFrame uint64
	Rejected                   RejectStats
	// Topics counts forwarded messages per three-byte topic head.
	Topics map[string]uint64
	// ArchiveTimeouts counts messages the archive could not take before
	// the shutdown deadline.
	ArchiveTimeouts uint64
	// ForgedOrigin counts messages whose trailing origin frames were taken
	// off because their sender is not a broker's upstream link;
	// HopDuplicates, messages from a downstream broker dropped because
	// they arrived before (its replay after a reconnect).
	ForgedOrigin, HopDuplicates uint64
	Upstream                    UpstreamStats
	// Logbook counts the logbook fan-out (Config.FanoutLogbook): records
	// sent, messages dropped because its queue was full, messages it could
	// not decode.
	Logbook LogbookStats
	// The endpoints' own counters: connections, rejects by reason, queue
	// depths and, for the fan-out, drops per dashboard.
	Ingest, Fanout, Archive zmtp.Stats
}

// RejectStats counts rejected messages by reason.
type RejectStats struct {
	BadTopic  uint64 // first frame is not a valid topic
	NoPayload uint64 // a topic without payload, or an empty payload frame
	NotJSON   uint64 // a single frame that is neither a topic nor a JSON object
	// Copies counts rejected messages copied to the archive; NotCopied,
	// those past the copy rate or the archivers' room (counted in the
	// summaries); Summaries, the summaries sent (rejects.go).
	Copies, NotCopied, Summaries uint64
}

// Total is the sum of all reasons (Copies, NotCopied and Summaries are
// not reasons).
func (r RejectStats) Total() uint64 { return r.BadTopic + r.NoPayload + r.NotJSON }

// LogbookStats counts the logbook fan-out.
type LogbookStats struct {
	Records, Dropped, DecodeErrors uint64
	Socket                         zmtp.Stats
}

// UpstreamStats counts forwarding to the upstream broker.
type UpstreamStats struct {
	Sent     uint64 // handed to the upstream connection's queue (not yet known delivered)
	Dropped  uint64 // its queue was full (upstream down or slow)
	Filtered uint64 // not matching UpstreamPrefixes
	// Queued is what waits in that queue now; Unsent, what was still
	// there when the broker stopped, never written (lost: the queue is in
	// memory); Unconfirmed, copies written once to an upstream broker
	// that went away, not sent again before the stop (maybe delivered).
	Queued              int
	Unsent, Unconfirmed uint64
}

// Stats returns the broker's counters. It is safe to call at any time.
func (b *Broker) Stats() Stats {
	s := Stats{
		In:          b.c.in.Load(),
		Forwarded:   b.c.forwarded.Load(),
		SingleFrame: b.c.singleFrame.Load(),
		Rejected: RejectStats{
			BadTopic:  b.c.badTopic.Load(),
			NoPayload: b.c.noPayload.Load(),
			NotJSON:   b.c.notJSON.Load(),
			Copies:    b.rejects.copies.Load(),
			NotCopied: b.rejects.unkept.Load(),
			Summaries: b.rejects.summaryCount.Load(),
		},
		ArchiveTimeouts: b.c.archiveTimeout.Load(),
		ForgedOrigin:    b.c.forgedOrigin.Load(),
		HopDuplicates:   b.c.hopDuplicates.Load(),
		Upstream: UpstreamStats{
			Sent:     b.c.upSent.Load(),
			Dropped:  b.c.upDropped.Load(),
			Filtered: b.c.upFiltered.Load(),
		},
		Topics: make(map[string]uint64),
		Ingest: b.ingest.Stats(),
		Fanout: b.fanout.Stats(),
	}
	if b.archive != nil {
		s.Archive = b.archive.Stats()
	}
	if b.lbook != nil {
		s.Logbook = LogbookStats{Records: b.lbook.records.Load(), Dropped: b.lbook.dropped.Load(),
			DecodeErrors: b.lbook.decodeErrors.Load(), Socket: b.lbookPub.Stats()}
	}
	if b.upstream != nil {
		up := b.upstream.Stats()
		s.Upstream.Queued, s.Upstream.Unconfirmed = up.Queued, up.Unconfirmed
		s.Upstream.Unsent = up.Dropped.Linger - min(up.Unconfirmed, up.Dropped.Linger)
	}
	for i := range b.c.topics {
		if n := b.c.topics[i].Load(); n > 0 {
			s.Topics[slotTopic(i)] = n
		}
	}
	return s
}
