package filesink

import "sync/atomic"

type counters struct {
	records, writes, bytes, fsyncs       atomic.Uint64
	central, refused, rerouted           atomic.Uint64
	gaps, missing, decodeErrors          atomic.Uint64
	duplicates, late                     atomic.Uint64
	linkGaps, linkMessages               atomic.Uint64
	linkUnnumbered, shed                 atomic.Uint64
	writeErrors, opens, created, evicted atomic.Uint64
	reopened, rotations                  atomic.Uint64
	rejectedCopies, rejectedMessages     atomic.Uint64
	decodeSuppressed                     atomic.Uint64
	openFiles, failing, backlog          atomic.Int64
}

// Stats is a snapshot of the sink's counters.
type Stats struct {
	Records  uint64 // records and notices written to files
	Writes   uint64 // write calls (each holds whole records)
	Bytes    uint64
	Fsyncs   uint64
	Central  uint64 // lines sent to the central log
	Refused  uint64 // records whose path was refused
	Rerouted uint64 // records of failing destinations sent to the central log
	Gaps     uint64 // gaps reported by the subscriber
	Missing  uint64 // records those gaps miss
	// Duplicates counts records received again (a publisher's replay
	// window after a reconnect) and dropped; Late, records that arrived
	// after a later one and fill part of a gap already reported.
	Duplicates, Late uint64
	// LinkGaps counts gaps on the hops after a broker (package origin);
	// LinkMessages the messages they miss, LinkUnnumbered the records
	// from unnumbered senders (distlog, logbook) among them.
	LinkGaps, LinkMessages, LinkUnnumbered uint64
	// Shed counts lines dropped because the central log could not be
	// written and the backlog was at MaxBacklog (reported in a DROPPED
	// notice once it is writable).
	Shed uint64
	// DecodeErrors counts messages the subscriber could not decode;
	// DecodeSuppressed, those among them not written as a DECODE-ERROR
	// line (beyond 10 per sender in 10 s; a summary line counts them).
	DecodeErrors, DecodeSuppressed uint64
	// RejectedCopies counts the broker's copies of rejected messages
	// written (REJECTED); RejectedMessages, the messages its summaries
	// counted (REJECTED-SUMMARY), copied or not.
	RejectedCopies, RejectedMessages uint64
	WriteErrors                      uint64
	Opens                            uint64 // files opened
	Created                          uint64 // files created
	Evicted                          uint64 // files closed to stay within MaxOpen
	Reopened                         uint64 // files reopened because their path changed (logrotate)
	Rotations                        uint64 // central log rotations
	OpenFiles                        int64
	Failing                          int64 // destinations in back-off
	Backlog                          int64 // bytes waiting for the central log
}

// Stats returns the sink's counters; safe from any goroutine.
func (s *Sink) Stats() Stats {
	c := &s.c
	return Stats{
		Records: c.records.Load(), Writes: c.writes.Load(), Bytes: c.bytes.Load(), Fsyncs: c.fsyncs.Load(),
		Central: c.central.Load(), Refused: c.refused.Load(), Rerouted: c.rerouted.Load(),
		Gaps: c.gaps.Load(), Missing: c.missing.Load(),
		Duplicates: c.duplicates.Load(), Late: c.late.Load(),
		LinkGaps: c.linkGaps.Load(), LinkMessages: c.linkMessages.Load(), LinkUnnumbered: c.linkUnnumbered.Load(), Shed: c.shed.Load(), DecodeErrors: c.decodeErrors.Load(), DecodeSuppressed: c.decodeSuppressed.Load(),
		RejectedCopies: c.rejectedCopies.Load(), RejectedMessages: c.rejectedMessages.Load(),
		WriteErrors: c.writeErrors.Load(), Opens: c.opens.Load(), Created: c.created.Load(), Evicted: c.evicted.Load(),
		Reopened: c.reopened.Load(), Rotations: c.rotations.Load(),
		OpenFiles: c.openFiles.Load(), Failing: c.failing.Load(), Backlog: c.backlog.Load(),
	}
}
