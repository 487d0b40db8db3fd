package codec_test

import (
	"fmt"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/topic"
)

func ExampleAppendRecordJSON() {
	r := logbus.Record{
		Envelope: logbus.Envelope{Time: time.Date(2026, 11, 22, 10, 36, 11, 0, time.UTC), Host: "lab-7", Equipment: "scope-3"},
		Level:    logbus.LevelError,
		Message:  "trigger lost",
		Attrs:    []logbus.Attr{{Key: "channel", Value: logbus.IntValue(2)}},
	}
	fmt.Println(string(codec.AppendRecordJSON(nil, &r)))
	// Output: {"logbus":1,"time":"2026-11-22T10:36:11Z","level":"ERROR","msg":"trigger lost","host":"lab-7","equipment":"scope-3","attrs":{"channel":2}}
}

func ExampleDecoder_Decode() {
	// A message as distlog's Python ZmqHandler sends it.
	frames := [][]byte{
		[]byte("PLJ"),
		[]byte(`{"name": "stage", "msg": "moved %s", "levelno": 30, "created": 1795343867.5, "message": "moved x", "hostname": "lab-7", "equipment_id": "scope-3", "axis": "x"}`),
	}
	var d codec.Decoder
	var m codec.Message
	if err := d.Decode(frames, &m); err != nil {
		panic(err)
	}
	r := m.Records[0]
	fmt.Println(m.Shape, r.Level, r.Logger, r.Message, r.Host, r.Equipment, r.Time.Format(time.RFC3339Nano))
	fmt.Println(r.Attrs[0].Key, r.Attrs[0].Value)
	// Output:
	// distlog WARN stage moved x lab-7 scope-3 2026-11-22T10:37:47.5Z
	// axis x
}

func ExampleAppendRecordMsgpack() {
	r := logbus.Record{Level: logbus.LevelInfo, Message: "hello"}
	payload := codec.AppendRecordMsgpack(make([]byte, 0, 256), &r)
	frames := [][]byte{[]byte(topic.Topic{System: logbus.Production, Kind: topic.Log, Encoding: topic.Msgpack}.String()), payload}

	var d codec.Decoder
	var m codec.Message
	if err := d.Decode(frames, &m); err != nil {
		panic(err)
	}
	fmt.Println(m.Topic, m.Records[0].Message)
	// Output: PLM hello
}
