package broker

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/logbus/logbus/zmtp"
)

var _ prometheus.Collector = (*collector)(nil)

// Handler serves /metrics (Prometheus text format), /healthz (liveness:
// 200 "ok" while the process serves) and /readyz (readiness: 200 "ready",
// or 503 with one reason per line; see Broker.NotReady).
func (b *Broker) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		&collector{b: b},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if _, err := w.Write([]byte("ok\n")); err != nil {
			b.cfg.Logger.Debug("healthz write", "err", err)
		}
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		msg := "ready\n"
		if reasons := b.NotReady(); len(reasons) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			msg = strings.Join(reasons, "\n") + "\n"
		}
		if _, err := w.Write([]byte(msg)); err != nil {
			b.cfg.Logger.Debug("readyz write", "err", err)
		}
	})
	return mux
}

// collector reads Stats at scrape time, so forwarding pays nothing for
// metrics beyond its own atomic counters.
type collector struct{ b *Broker }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("logbus_broker_"+name, help, labels, nil)
}

var (
	dIn        = desc("messages_in_total", "Messages read from publishers.")
	dForwarded = desc("messages_forwarded_total", "Messages that passed validation and were fanned out.")
	dSingle    = desc("single_frame_total", "Single-frame JSON messages republished under the configured topic.")
	dRejected  = desc("messages_rejected_total", "Messages rejected, by reason.", "reason")
	dTopic     = desc("topic_messages_total", "Forwarded messages per topic head.", "topic")
	dSent      = desc("messages_sent_total", "Messages written to subscribers (once per subscriber), per endpoint.", "endpoint")
	dDropped   = desc("messages_dropped_total", "Messages dropped, per endpoint and reason.", "endpoint", "reason")
	dPeerDrop  = desc("subscriber_dropped_total", "Messages dropped for one subscriber whose queue was full.", "endpoint", "peer")
	dQueued    = desc("queue_depth", "Messages queued, per endpoint.", "endpoint")
	dHandover  = desc("handed_over_total", "Messages queued for a subscriber that went away and given to the next one (archive).", "endpoint")
	dPeers     = desc("connected", "Connected peers (handshake done), per endpoint.", "endpoint")
	dArchivers = desc("archivers", "Named archivers connected to the archive endpoint.")
	dKept      = desc("archive_kept_bytes", "Bytes kept for absent archivers (archive grace).")
	dRejReport = desc("rejected_reports_total", "Reports of rejected messages sent: copies to the archive, summaries to archive and fan-out.", "kind")
	dNotCopied = desc("rejected_not_copied_total", "Rejected messages not copied to the archive (past the copy rate, or no room); the summaries count them.")
	dLogbook   = desc("logbook_fanout_total", "The logbook fan-out: records sent, messages dropped (its queue full), messages it could not decode.", "outcome")
	dConnRej   = desc("connections_rejected_total", "Connections closed because of the peer, per endpoint and reason.", "endpoint", "reason")
	dUpstream  = desc("upstream_messages_total", "Messages for the upstream broker, by outcome (sent: queued for its connection).", "outcome")
	dUpQueued  = desc("upstream_queued_messages", "Messages waiting for the upstream broker.")
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dIn, dForwarded, dSingle, dRejected, dLogbook, dRejReport, dNotCopied, dTopic, dSent, dDropped, dPeerDrop, dQueued, dHandover, dPeers, dArchivers, dKept, dConnRej, dUpstream, dUpQueued} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.b.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter(dIn, s.In)
	counter(dForwarded, s.Forwarded)
	counter(dSingle, s.SingleFrame)
	counter(dRejected, s.Rejected.BadTopic, "bad_topic")
	counter(dRejected, s.Rejected.NoPayload, "no_payload")
	counter(dRejected, s.Rejected.NotJSON, "not_json")
	if c.b.lbook != nil {
		counter(dLogbook, s.Logbook.Records, "records")
		counter(dLogbook, s.Logbook.Dropped, "dropped")
		counter(dLogbook, s.Logbook.DecodeErrors, "decode_errors")
	}
	counter(dRejReport, s.Rejected.Copies, "copy")
	counter(dRejReport, s.Rejected.Summaries, "summary")
	counter(dNotCopied, s.Rejected.NotCopied)
	for t, n := range s.Topics {
		counter(dTopic, n, t)
	}
	counter(dUpstream, s.Upstream.Sent, "sent")
	counter(dUpstream, s.Upstream.Dropped, "dropped")
	counter(dUpstream, s.Upstream.Filtered, "filtered")
	counter(dUpstream, s.Upstream.Unsent, "unsent_at_stop")
	counter(dUpstream, s.Upstream.Unconfirmed, "unconfirmed_at_stop")
	gauge(dUpQueued, s.Upstream.Queued)
	counter(dDropped, s.ArchiveTimeouts, "archive", "shutdown_timeout")
	if c.b.archive != nil {
		gauge(dArchivers, archivers(s.Archive))
		gauge(dKept, s.Archive.KeptBytes)
	}
	endpoints := []struct {
		name string
		st   zmtp.Stats
		on   bool
	}{{"ingest", s.Ingest, true}, {"fanout", s.Fanout, true}, {"archive", s.Archive, c.b.archive != nil}}
	for _, e := range endpoints {
		if !e.on {
			continue
		}
		counter(dSent, e.st.Sent, e.name)
		counter(dDropped, e.st.Dropped.QueueFull, e.name, "queue_full")
		counter(dDropped, e.st.Dropped.Disconnected, e.name, "disconnected")
		counter(dDropped, e.st.Dropped.Linger, e.name, "linger")
		counter(dDropped, e.st.Dropped.Unread, e.name, "unread")
		counter(dDropped, e.st.Dropped.Stalled, e.name, "stalled")
		gauge(dQueued, e.st.Queued, e.name)
		counter(dHandover, e.st.HandedOver, e.name)
		gauge(dPeers, len(e.st.Peers), e.name)
		for _, p := range e.st.Peers {
			if p.Dropped > 0 {
				counter(dPeerDrop, p.Dropped, e.name, p.Remote)
			}
		}
		r := e.st.Rejected
		for _, kv := range []struct {
			reason string
			n      uint64
		}{
			{"greeting", r.Greeting}, {"version", r.Version}, {"mechanism", r.Mechanism},
			{"socket_type", r.SocketType}, {"auth", r.Auth}, {"protocol", r.Protocol},
			{"too_large", r.TooLarge}, {"handshake_timeout", r.HandshakeTimeout},
			{"heartbeat", r.Heartbeat}, {"peer_error", r.PeerError}, {"peer_limit", r.PeerLimit},
			{"stalled", r.Stalled}, {"evicted", r.Evicted}, {"name_in_use", r.HeirInUse},
		} {
			counter(dConnRej, kv.n, e.name, kv.reason)
		}
	}
}
