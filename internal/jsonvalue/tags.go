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

// untag turns a one-key object written for a type JSON lacks back into
// that value; any other object is a group.
func untag(attrs []logbus.Attr) logbus.Value {
	if len(attrs) != 1 {
		return logbus.GroupValue(attrs...)
	}
	v := attrs[0].Value
	switch attrs[0].Key {
	case TagFloat:
		if v.Kind() == logbus.KindString {
			switch v.Str() {
			case "NaN":
				return logbus.FloatValue(math.NaN())
			case "Infinity":
				return logbus.FloatValue(math.Inf(1))
			case "-Infinity":
				return logbus.FloatValue(math.Inf(-1))
			}
		}
	case TagBytes:
		if v.Kind() == logbus.KindString {
			if b, err := base64.StdEncoding.DecodeString(v.Str()); err == nil {
				return logbus.BytesValue(b)
			}
		}
	case TagTime:
		if v.Kind() == logbus.KindString {
			if t, err := time.Parse(time.RFC3339Nano, v.Str()); err == nil {
				return logbus.TimeValue(t)
			}
		}
	case TagDuration:
		if v.Kind() == logbus.KindInt {
			return logbus.DurationValue(time.Duration(v.Int64()))
		}
	case TagGroup:
		if v.Kind() == logbus.KindGroup {
			return v
		}
	}
	return logbus.GroupValue(attrs...)
}
