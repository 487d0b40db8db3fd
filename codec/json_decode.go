package codec

import (
	"bytes"
	"time"

	"github.com/logbus/logbus"
)

// jsonSchemaStart is how a logbus JSON payload starts when logbus wrote
// it (AppendRecordJSON writes the schema field first, and so does the
// Python package): the decoder's fast path for it.
var jsonSchemaStart = []byte(`{"` + keySchema + `":`)

// decodeJSONRecordFast decodes a logbus JSON record in one pass, storing
// the members straight into r: "attrs" are appended to r.Attrs and "run"
// and "source" read into their fields without building a group for them;
// every other member is read as a Value and stored by setRecordField, as
// the general path does. It reports false, having read nothing, for a
// payload that does not start with the schema field (a Python dictionary,
// or logbus JSON written in another order): the general path reads those.
// The result is the same either way.
func (d *Decoder) decodeJSONRecordFast(b []byte, r *logbus.Record) (bool, error) {
	if d.generic || !bytes.HasPrefix(b, jsonSchemaStart) || bytes.Contains(b, []byte(`"$group"`)) {
		// ("$group" wrappers nest the reading of tags in ways only the
		// general path follows; logbus writes them rarely.)
		return false, nil
	}
	p := &d.json
	p.Reset(b, &d.strs)
	if err := p.Begin(); err != nil {
		return true, err
	}
	for {
		key, ok, err := p.Key()
		if err != nil {
			return true, err
		}
		if !ok {
			break
		}
		if (key == keyAttrs || key == keyRun || key == keySource) && p.Next() == '{' {
			if err := d.jsonGroup(key, r); err != nil {
				return true, err
			}
			continue
		}
		var v logbus.Value
		if key == keyAttrs || key == keyRun || key == keySource {
			v, err = p.ValueUntagged() // as the general path reads them (jsonvalue.topLevelGroup)
		} else {
			v, err = p.Value()
		}
		if err != nil {
			return true, err
		}
		if key == keyTime {
			if t, ok := jsonTime(v); ok {
				r.Time = t
			} else {
				r.Attrs = append(r.Attrs, logbus.Attr{Key: key, Value: v})
			}
			continue
		}
		// Anything else, and a group member of the wrong type, which
		// setRecordField keeps as an attribute.
		setRecordField(r, logbus.Attr{Key: key, Value: v})
	}
	return true, p.Finish()
}

// jsonGroup reads the object of "attrs", "run" or "source" straight into r.
func (d *Decoder) jsonGroup(key string, r *logbus.Record) error {
	p := &d.json
	if err := p.Begin(); err != nil {
		return err
	}
	for {
		k, ok, err := p.Key()
		if err != nil || !ok {
			return err
		}
		v, err := p.Value()
		if err != nil {
			return err
		}
		if key == keyAttrs {
			r.Attrs = append(r.Attrs, logbus.Attr{Key: k, Value: v})
		} else {
			setRecordSubField(r, key, logbus.Attr{Key: k, Value: v})
		}
	}
}

// jsonTime reads a JSON "time": RFC 3339 text, or Unix seconds (see
// secondsTime).
func jsonTime(v logbus.Value) (time.Time, bool) {
	a := []logbus.Attr{{Key: keyTime, Value: v}}
	secondsTime(a)
	switch a[0].Value.Kind() {
	case logbus.KindTime:
		return a[0].Value.Time(), true
	case logbus.KindString:
		if t, ok := utcTime(v.Str()); ok {
			return t, true
		}
		t, err := time.Parse(time.RFC3339Nano, v.Str())
		if err != nil {
			return time.Time{}, false
		}
		return logbus.ClampTime(t), true
	}
	return time.Time{}, false
}

// utcTime reads the form logbus writes, "2006-01-02T15:04:05.999999999Z"
// (0 to 9 fraction digits, UTC), without time.Parse's generality; false
// for anything else, which time.Parse then reads.
func utcTime(s string) (time.Time, bool) {
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	ns := 0
	switch rest := s[19 : len(s)-1]; {
	case rest == "":
	case rest[0] == '.' && len(rest) >= 2 && len(rest) <= 10:
		f, ok := num(20, len(rest)-1)
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(rest) {
			f *= 10
		}
		ns = f
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC)
	if t.Day() != day { // February 30th and the like: time.Parse says no
		return time.Time{}, false
	}
	return logbus.ClampTime(t), true
}
