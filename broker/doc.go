// Package broker is the logbus hub: it pulls messages from publishers and
// fans them out by topic, byte for byte, over two publish endpoints:
//
//   - fan-out, for dashboards: each subscriber has a bounded queue; a
//     subscriber that falls behind loses messages (counted per peer) and
//     never slows anyone else;
//   - archive, for file sinks: no drops; when an archiver's queue is full
//     the broker stops reading from publishers, whose own bounded queues
//     then absorb the burst (and count what they cannot). Back-pressure
//     travels to the edge instead of loss appearing in the middle.
//
// The broker reads only the topic frame. A message whose topic does not
// parse, or that has no payload, is rejected and counted by reason. A
// single-frame JSON object (logbook's ZeroMQHandler) is republished under
// a configured topic so subscribers see it like any other record.
//
// Optionally everything, or the messages matching some topic prefixes,
// is forwarded to an upstream broker: a site broker feeds a lab-wide one.
package broker
