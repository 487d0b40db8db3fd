package codec

import (
	"fmt"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/topic"
)

// AppendRecord appends r's payload in encoding enc.
func AppendRecord(dst []byte, enc topic.Encoding, r *logbus.Record) ([]byte, error) {
	switch enc {
	case topic.Msgpack:
		return AppendRecordMsgpack(dst, r), nil
	case topic.JSON:
		return AppendRecordJSON(dst, r), nil
	}
	return dst, fmt.Errorf("%w: %q", ErrEncoding, byte(enc))
}

// AppendSample appends s's payload in encoding enc.
func AppendSample(dst []byte, enc topic.Encoding, s *logbus.Sample) ([]byte, error) {
	switch enc {
	case topic.Msgpack:
		return AppendSampleMsgpack(dst, s), nil
	case topic.JSON:
		return AppendSampleJSON(dst, s), nil
	}
	return dst, fmt.Errorf("%w: %q", ErrEncoding, byte(enc))
}
