package codec

import (
	"encoding/base64"
	"math"
	"time"
)

// untag turns a one-key object written for a type JSON lacks back into
// that value; any other object is a group.
func untag(attrs []Attr) Value {
	if len(attrs) != 1 {
		return GroupValue(attrs...)
	}
	v := attrs[0].Value
	switch attrs[0].Key {
	case tagFloat:
		if v.kind == KindString {
			switch v.str {
			case "NaN":
				return FloatValue(math.NaN())
			case "Infinity":
				return FloatValue(math.Inf(1))
			case "-Infinity":
				return FloatValue(math.Inf(-1))
			}
		}
	case tagBytes:
		if v.kind == KindString {
			if b, err := base64.StdEncoding.DecodeString(v.str); err == nil {
				return BytesValue(b)
			}
		}
	case tagTime:
		if v.kind == KindString {
			if t, err := time.Parse(time.RFC3339Nano, v.str); err == nil {
				return TimeValue(t)
			}
		}
	case tagDuration:
		if v.kind == KindInt {
			return DurationValue(time.Duration(v.Int64()))
		}
	case tagGroup:
		if v.kind == KindGroup {
			return v
		}
	}
	return GroupValue(attrs...)
}
