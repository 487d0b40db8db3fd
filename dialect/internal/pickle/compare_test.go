package pickle

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"time"
)

// diff returns "" when got and want are the same decoded value, otherwise a
// description of the first difference. It compares containers by type and
// order, floats with NaN equal to NaN, times by instant and UTC offset, and
// big ints by value.
func diff(path string, got, want any) string {
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		return fmt.Sprintf("%s: got %T %#v, want %T %#v", path, got, got, want, want)
	}
	switch w := want.(type) {
	case *Dict:
		g := got.(*Dict)
		if g == nil || w == nil {
			if g == w {
				return ""
			}
			return fmt.Sprintf("%s: got %#v, want %#v", path, g, w)
		}
		if g.Len() != w.Len() {
			return fmt.Sprintf("%s: got %d keys %v, want %d keys %v", path, g.Len(), g.Keys, w.Len(), w.Keys)
		}
		for i := range w.Keys {
			if s := diff(fmt.Sprintf("%s.key[%d]", path, i), g.Keys[i], w.Keys[i]); s != "" {
				return s
			}
			if s := diff(fmt.Sprintf("%s[%v]", path, w.Keys[i]), g.Values[i], w.Values[i]); s != "" {
				return s
			}
		}
		return ""
	case []any:
		return diffSlice(path, got.([]any), w)
	case Tuple:
		return diffSlice(path, got.(Tuple), w)
	case Set:
		return diffSlice(path, got.(Set), w)
	case float64:
		g := got.(float64)
		if g == w || (math.IsNaN(g) && math.IsNaN(w)) {
			return ""
		}
	case time.Time:
		g := got.(time.Time)
		gn, go_ := g.Zone()
		wn, wo := w.Zone()
		if g.Equal(w) && go_ == wo && gn == wn {
			return ""
		}
	case *time.Location:
		if got.(*time.Location).String() == w.String() {
			return ""
		}
	case *big.Int:
		if got.(*big.Int).Cmp(w) == 0 {
			return ""
		}
	case Object:
		g := got.(Object)
		if g.Class != w.Class {
			return fmt.Sprintf("%s: got class %v, want %v", path, g.Class, w.Class)
		}
		for _, f := range []struct {
			name   string
			gv, wv any
		}{{"Args", g.Args, w.Args}, {"Kwargs", g.Kwargs, w.Kwargs}, {"State", g.State, w.State},
			{"ListItems", g.ListItems, w.ListItems}, {"DictItems", g.DictItems, w.DictItems}} {
			if s := diff(path+"."+f.name, f.gv, f.wv); s != "" {
				return s
			}
		}
		return ""
	default:
		if reflect.DeepEqual(got, want) {
			return ""
		}
	}
	return fmt.Sprintf("%s: got %#v, want %#v", path, got, want)
}

func diffSlice(path string, got, want []any) string {
	if (got == nil) != (want == nil) || len(got) != len(want) {
		return fmt.Sprintf("%s: got %d items %#v, want %d items %#v", path, len(got), got, len(want), want)
	}
	for i := range want {
		if s := diff(fmt.Sprintf("%s[%d]", path, i), got[i], want[i]); s != "" {
			return s
		}
	}
	return ""
}

// dict builds a *Dict from alternating keys and values.
func dict(kv ...any) *Dict {
	d := &Dict{Keys: []any{}, Values: []any{}}
	for i := 0; i < len(kv); i += 2 {
		d.Keys = append(d.Keys, kv[i])
		d.Values = append(d.Values, kv[i+1])
	}
	return d
}
