package pickle

import (
	"fmt"
	"math"
	"time"
)

// The datetime module pickles its values as (class, (state_bytes[, tzinfo]))
// where the state is the packed C struct: year (2 bytes, big endian), month
// (high bit = fold), day, hour, minute, second, microsecond (3 bytes, big
// endian). Python's constructor also accepts the plain field arguments, and
// so does this package.

const (
	datetimeStateLen = 10
	dateStateLen     = 4
)

// stateBytes returns a packed state argument: bytes, a Python 2 str, or a
// Latin-1 str (Python 3 accepts a str state for Python 2 compatibility).
func stateBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case py2str:
		return x, true
	case string:
		return encodeStr(x, "latin1")
	}
	return nil, false
}

// tzArg returns the location for args[i]: absent or None means naive.
func tzArg(args tupleNode, i int) (*time.Location, bool) {
	if i >= len(args) || args[i] == nil {
		return Naive, true
	}
	loc, ok := args[i].(*time.Location)
	return loc, ok
}

// intArgs returns args[:n] as ints.
func intArgs(args tupleNode, n int) ([]int, bool) {
	out := make([]int, n)
	for i := range n {
		v, ok := args[i].(int64)
		if !ok || v < math.MinInt32 || v > math.MaxInt32 {
			return nil, false
		}
		out[i] = int(v)
	}
	return out, true
}

func validDate(y, m, d int) bool {
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
		d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func validClock(h, mi, s, us int) bool {
	return h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60 && us >= 0 && us < 1000000
}

// newDatetime is datetime.datetime(state[, tzinfo]) or
// datetime.datetime(y, m, d[, H, M, S, us[, tzinfo]]). A tzinfo other than
// None or a datetime.timezone keeps the call as an Object.
func newDatetime(_ *decoder, args tupleNode) (any, bool, error) {
	var f []int // y, m, d, H, M, S, us
	var loc *time.Location
	var ok bool
	if len(args) == 0 {
		return nil, false, nil
	}
	if b, isState := stateBytes(args[0]); isState && len(b) == datetimeStateLen && len(args) <= 2 {
		f = []int{int(b[0])<<8 | int(b[1]), int(b[2] & 0x7F), int(b[3]), int(b[4]), int(b[5]), int(b[6]),
			int(b[7])<<16 | int(b[8])<<8 | int(b[9])}
		loc, ok = tzArg(args, 1)
	} else {
		if len(args) < 3 || len(args) > 8 {
			return nil, false, nil
		}
		n := min(len(args), 7)
		if f, ok = intArgs(args, n); !ok {
			return nil, false, nil
		}
		f = append(f, make([]int, 7-n)...)
		loc, ok = tzArg(args, 7)
	}
	if !ok || !validDate(f[0], f[1], f[2]) || !validClock(f[3], f[4], f[5], f[6]) {
		return nil, false, nil
	}
	return time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6]*1000, loc), true, nil
}

// newDate is datetime.date(state) or datetime.date(y, m, d): midnight in
// the Naive location.
func newDate(_ *decoder, args tupleNode) (any, bool, error) {
	var f []int
	if len(args) == 1 {
		b, ok := stateBytes(args[0])
		if !ok || len(b) != dateStateLen {
			return nil, false, nil
		}
		f = []int{int(b[0])<<8 | int(b[1]), int(b[2]), int(b[3])}
	} else {
		var ok bool
		if len(args) != 3 {
			return nil, false, nil
		}
		if f, ok = intArgs(args, 3); !ok {
			return nil, false, nil
		}
	}
	if !validDate(f[0], f[1], f[2]) {
		return nil, false, nil
	}
	return time.Date(f[0], time.Month(f[1]), f[2], 0, 0, 0, 0, Naive), true, nil
}

// newTimedelta is datetime.timedelta(days[, seconds[, microseconds]]).
// Python's range (about ±2.7 million years) exceeds time.Duration's (about
// ±292 years); values outside it stay Objects with their arguments.
func newTimedelta(_ *decoder, args tupleNode) (any, bool, error) {
	if len(args) > 3 {
		return nil, false, nil
	}
	unit := [3]int64{86400 * 1e9, 1e9, 1e3}
	var total int64
	for i, a := range args {
		v, ok := a.(int64)
		if !ok {
			return nil, false, nil
		}
		p, ok := mulInt64(v, unit[i])
		if !ok {
			return nil, false, nil
		}
		if total, ok = addInt64(total, p); !ok {
			return nil, false, nil
		}
	}
	return time.Duration(total), true, nil
}

func mulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

func addInt64(a, b int64) (int64, bool) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, false
	}
	return c, true
}

// newTimezone is datetime.timezone(offset[, name]): a fixed zone. Python
// requires |offset| < 24h; Go zones have whole-second offsets.
func newTimezone(_ *decoder, args tupleNode) (any, bool, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, false, nil
	}
	off, ok := args[0].(time.Duration)
	if !ok || off <= -24*time.Hour || off >= 24*time.Hour || off%time.Second != 0 {
		return nil, false, nil
	}
	secs := int(off / time.Second)
	if len(args) == 2 && args[1] != nil {
		name, ok := args[1].(string)
		if !ok {
			return nil, false, nil
		}
		return time.FixedZone(name, secs), true, nil
	}
	if secs == 0 {
		return time.UTC, true, nil
	}
	return time.FixedZone(zoneName(secs), secs), true, nil
}

// zoneName is Python's default timezone name, e.g. "UTC+05:30".
func zoneName(secs int) string {
	sign := '+'
	if secs < 0 {
		sign, secs = '-', -secs
	}
	name := fmt.Sprintf("UTC%c%02d:%02d", sign, secs/3600, secs/60%60)
	if s := secs % 60; s != 0 {
		name += fmt.Sprintf(":%02d", s)
	}
	return name
}
