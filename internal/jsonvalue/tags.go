package jsonvalue

import (
	"encoding/base64"
	"math"
	"time"

	"github.com/logbus/logbus"
)

// Tags of the one-key objects that carry values JSON has no type for:
// {"$float":"NaN"}, {"$bytes":"<base64>"}, {"$time":"<RFC 3339>"},
// {"$duration":<ns>}, and {"$group":{…}} for a user group whose only key
// is itself a tag (docs/wire.md).
const (
	TagFloat    = "$float"
	TagBytes    = "$bytes"
	TagTime     = "$time"
	TagDuration = "$duration"
	TagGroup    = "$group"
)

// IsTag reports whether k is one of the tags.
func IsTag(k string) bool {
	switch k {
	case TagFloat, TagBytes, TagTime, TagDuration, TagGroup:
		return true
	}
	return false
}

// untagScalar turns a one-key object written for a type JSON lacks back
// into that value; false for any other object (a group). A "$group"
// wrapper gives the group it holds.
func untagScalar(attrs []logbus.Attr) (logbus.Value, bool) {
	if len(attrs) != 1 {
		return logbus.Value{}, false
	}
	v := attrs[0].Value
	switch attrs[0].Key {
	case TagFloat:
		if v.Kind() == logbus.KindString {
			switch v.Str() {
			case "NaN":
				return logbus.FloatValue(math.NaN()), true
			case "Infinity":
				return logbus.FloatValue(math.Inf(1)), true
			case "-Infinity":
				return logbus.FloatValue(math.Inf(-1)), true
			}
		}
	case TagBytes:
		if v.Kind() == logbus.KindString {
			if b, err := base64.StdEncoding.DecodeString(v.Str()); err == nil {
				return logbus.BytesValue(b), true
			}
		}
	case TagTime:
		if v.Kind() == logbus.KindString {
			if t, err := time.Parse(time.RFC3339Nano, v.Str()); err == nil {
				return logbus.TimeValue(t), true
			}
		}
	case TagDuration:
		if v.Kind() == logbus.KindInt {
			return logbus.DurationValue(time.Duration(v.Int64())), true
		}
	case TagGroup:
		if v.Kind() == logbus.KindGroup {
			return v, true
		}
	}
	return logbus.Value{}, false
}
