package broker

import (
	"github.com/logbus/logbus"
	"github.com/logbus/logbus/topic"
)

// Per-topic counters are kept for the 18 three-byte heads (the equipment
// suffix is left out to bound the number of series).
const topicSlots = 3 * 2 * 3

func topicSlot(t []byte) int {
	return sysIndex(logbus.System(t[0]))*6 + kindIndex(topic.Kind(t[1]))*3 + encIndex(topic.Encoding(t[2]))
}

func sysIndex(s logbus.System) int {
	switch s {
	case logbus.Test:
		return 0
	case logbus.Staging:
		return 1
	}
	return 2
}

func kindIndex(k topic.Kind) int {
	if k == topic.Log {
		return 0
	}
	return 1
}

func encIndex(e topic.Encoding) int {
	switch e {
	case topic.JSON:
		return 0
	case topic.Msgpack:
		return 1
	}
	return 2
}

// slotTopic is topicSlot's inverse.
func slotTopic(i int) string {
	return string([]byte{byte(logbus.Systems[i/6]), byte(topic.Kinds[i/3%2]), byte(topic.Encodings[i%3])})
}
