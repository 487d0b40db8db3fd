package filesink

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var _ prometheus.Collector = collector{}

// Handler serves /metrics (Prometheus text format), /healthz (liveness:
// 200 "ok" while the process serves) and /readyz (readiness: 200 "ready",
// or 503 with one reason per line: not connected to its broker, or
// records waiting in memory because even the central log cannot be
// written).
func (s *Sink) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if _, err := w.Write([]byte("ok\n")); err != nil {
			s.cfg.Logger.Debug("healthz write", "err", err)
		}
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		msg := "ready\n"
		if reasons := s.notReady(); len(reasons) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			msg = strings.Join(reasons, "\n") + "\n"
		}
		if _, err := w.Write([]byte(msg)); err != nil {
			s.cfg.Logger.Debug("readyz write", "err", err)
		}
	})
	return mux
}

// connector is a Source that can tell whether it reaches its broker (a
// subscriber does).
type connector interface{ Connected() bool }

// connected reports whether the source given to Run reaches its broker;
// true for a source that cannot tell.
func (s *Sink) connected() bool {
	src := s.source.Load()
	if src == nil {
		return false // not running
	}
	if c, ok := (*src).(connector); ok {
		return c.Connected()
	}
	return true
}

// notReady returns why the sink is not ready, or nothing.
func (s *Sink) notReady() []string {
	var r []string
	if !s.connected() {
		r = append(r, "not connected to the broker")
	}
	if s.Stats().Backlog > 0 {
		r = append(r, "central log not writable: records waiting in memory")
	}
	return r
}

type collector struct{ s *Sink }

func fdesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("logbus_filesink_"+name, help, labels, nil)
}

var (
	fRecords  = fdesc("records_written_total", "Records (and the sink's own notices) written to files.")
	fWrites   = fdesc("writes_total", "Write calls; each holds whole records.")
	fBytes    = fdesc("bytes_written_total", "Bytes written.")
	fFsyncs   = fdesc("fsyncs_total", "fsync calls (one per file per batch with a record at or above the fsync level).")
	fCentral  = fdesc("central_total", "Lines sent to the central log.")
	fRefused  = fdesc("refused_total", "Records whose destination path was refused (hostile or invalid values).")
	fRerouted = fdesc("rerouted_total", "Records of failing destinations sent to the central log.")
	fGaps     = fdesc("gaps_total", "Gaps reported by the subscriber.")
	fMissing  = fdesc("missing_records_total", "Records missing in reported gaps.")
	fDup      = fdesc("duplicate_records_total", "Records received again (a publisher's replay after a reconnect) and dropped.")
	fLate     = fdesc("late_records_total", "Records that arrived after a later one, filling part of a gap already reported.")
	fLinkGaps = fdesc("link_gaps_total", "Gaps on the hops after a broker (archive or upstream links).")
	fLinkMsgs = fdesc("link_missing_messages_total", "Messages missing in link gaps.")
	fLinkUnn  = fdesc("link_missing_unnumbered_records_total", "Records from unnumbered senders (distlog, logbook) in link gaps.")
	fShed     = fdesc("shed_total", "Lines dropped because the central log could not be written and the backlog was full.")
	fDecode   = fdesc("decode_errors_total", "Messages that could not be decoded.")
	fDecSupp  = fdesc("decode_errors_suppressed_total", "Decode errors not written as DECODE-ERROR lines (beyond 10 per sender in 10 s; a summary line counts them).")
	fRejCopy  = fdesc("rejected_copies_total", "The broker's copies of messages it rejected, written as REJECTED lines.")
	fRejMsgs  = fdesc("rejected_messages_total", "Messages the broker rejected, as its REJECTED-SUMMARY lines count them (copied or not).")
	fErrors   = fdesc("write_errors_total", "Failed opens, writes, syncs and closes.")
	fOpens    = fdesc("opens_total", "Files opened.")
	fEvicted  = fdesc("evicted_total", "Files closed to stay within the open-file bound.")
	fReopened = fdesc("reopened_total", "Files reopened because their path changed (logrotate).")
	fRotated  = fdesc("central_rotations_total", "Central log rotations.")
	fOpen     = fdesc("open_files", "Open destination files.")
	fFailing  = fdesc("failing_destinations", "Destinations in back-off after an error.")
	fBacklog  = fdesc("backlog_bytes", "Bytes waiting because the central log cannot be written.")
	fConn     = fdesc("connected", "1 while the sink has a connection to its broker, else 0.")
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{fRecords, fWrites, fBytes, fFsyncs, fCentral, fRefused, fRerouted, fGaps, fMissing, fDup, fLate, fLinkGaps, fLinkMsgs, fLinkUnn, fShed, fDecode, fDecSupp, fRejCopy, fRejMsgs, fErrors, fOpens, fEvicted, fReopened, fRotated, fOpen, fFailing, fBacklog, fConn} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	for d, v := range map[*prometheus.Desc]uint64{
		fRecords: st.Records, fWrites: st.Writes, fBytes: st.Bytes, fFsyncs: st.Fsyncs, fCentral: st.Central,
		fRefused: st.Refused, fRerouted: st.Rerouted, fGaps: st.Gaps, fMissing: st.Missing, fDup: st.Duplicates, fLate: st.Late, fLinkGaps: st.LinkGaps, fLinkMsgs: st.LinkMessages, fLinkUnn: st.LinkUnnumbered, fShed: st.Shed, fDecode: st.DecodeErrors,
		fDecSupp: st.DecodeSuppressed, fRejCopy: st.RejectedCopies, fRejMsgs: st.RejectedMessages,
		fErrors: st.WriteErrors, fOpens: st.Opens, fEvicted: st.Evicted, fReopened: st.Reopened, fRotated: st.Rotations,
	} {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	conn := int64(0)
	if c.s.connected() {
		conn = 1
	}
	for d, v := range map[*prometheus.Desc]int64{fOpen: st.OpenFiles, fFailing: st.Failing, fBacklog: st.Backlog, fConn: conn} {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
}
