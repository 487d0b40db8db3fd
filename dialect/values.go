package dialect

import (
	"math"
	"time"

	"github.com/logbus/logbus"
)

// textOf renders a value as Python's str() would for the common kinds.
func textOf(v logbus.Value) string {
	switch v.Kind() {
	case logbus.KindString:
		return v.Str()
	case logbus.KindNull:
		return ""
	}
	return v.String()
}

// epochTime reads Python's time.time() float, rounded to the microsecond
// as datetime.fromtimestamp does.
func epochTime(v logbus.Value) (time.Time, bool) {
	var f float64
	switch v.Kind() {
	case logbus.KindFloat:
		f = v.Float64()
	case logbus.KindInt:
		f = float64(v.Int64())
	default:
		return time.Time{}, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 9e9 {
		return time.Time{}, false
	}
	return time.UnixMicro(int64(math.RoundToEven(f * 1e6))).UTC(), true
}
