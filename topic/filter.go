package topic

import (
	"fmt"
	"slices"

	"github.com/logbus/logbus"
)

// Filter selects topics. An empty list means "any value" for that
// position. Equipments restrict to topics that carry one of the given
// equipment suffixes; records published without a suffix (every Python
// client) do not match such a filter, so a consumer that must see them
// subscribes without equipments and filters decoded records instead.
type Filter struct {
	Systems    []logbus.System
	Kinds      []Kind
	Encodings  []Encoding
	Equipments []string
}

// Match reports whether t passes the filter.
func (f Filter) Match(t Topic) bool {
	if len(f.Systems) > 0 && !slices.Contains(f.Systems, t.System) {
		return false
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, t.Kind) {
		return false
	}
	if len(f.Encodings) > 0 && !slices.Contains(f.Encodings, t.Encoding) {
		return false
	}
	if len(f.Equipments) > 0 && !slices.Contains(f.Equipments, t.Equipment) {
		return false
	}
	return true
}

// Prefixes returns the smallest set of byte prefixes a SUB socket must
// subscribe to so that it receives exactly the topics f matches. A filter
// that matches everything yields one empty prefix.
//
// Positions are expanded from the left only as far as the last constrained
// one: "all production records" is the single prefix "P", "logs of any
// system" is "TL", "SL", "PL". A list that names every valid value counts
// as unconstrained.
func (f Filter) Prefixes() ([][]byte, error) {
	systems, err := normalize(f.Systems, logbus.Systems, logbus.System.Valid, ErrSystem)
	if err != nil {
		return nil, err
	}
	kinds, err := normalize(f.Kinds, Kinds, Kind.Valid, ErrKind)
	if err != nil {
		return nil, err
	}
	encodings, err := normalize(f.Encodings, Encodings, Encoding.Valid, ErrEncoding)
	if err != nil {
		return nil, err
	}
	var equipments []string
	for _, e := range f.Equipments {
		if !logbus.ValidName(e) {
			return nil, fmt.Errorf("%w: %q", ErrEquipment, e)
		}
		if !slices.Contains(equipments, e) {
			equipments = append(equipments, e)
		}
	}

	// depth is how many positions must be spelled out.
	depth := 0
	switch {
	case len(equipments) > 0:
		depth = 4
	case encodings != nil:
		depth = 3
	case kinds != nil:
		depth = 2
	case systems != nil:
		depth = 1
	}
	prefixes := [][]byte{{}}
	expand := func(values []byte) {
		next := make([][]byte, 0, len(prefixes)*len(values))
		for _, p := range prefixes {
			for _, v := range values {
				next = append(next, append(slices.Clip(p), v))
			}
		}
		prefixes = next
	}
	if depth >= 1 {
		expand(orAll(systems, logbus.Systems))
	}
	if depth >= 2 {
		expand(orAll(kinds, Kinds))
	}
	if depth >= 3 {
		expand(orAll(encodings, Encodings))
	}
	if depth == 4 {
		next := make([][]byte, 0, len(prefixes)*len(equipments))
		for _, p := range prefixes {
			for _, e := range equipments {
				q := append(slices.Clip(p), '/')
				q = append(q, e...)
				next = append(next, append(q, '/'))
			}
		}
		prefixes = next
	}
	return prefixes, nil
}

// normalize dedupes and validates; it returns nil when the list is empty
// or names every valid value, which both mean "unconstrained".
func normalize[T ~byte](list, all []T, valid func(T) bool, errKind error) ([]T, error) {
	var out []T
	for _, v := range list {
		if !valid(v) {
			return nil, fmt.Errorf("%w: %q", errKind, byte(v))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == len(all) {
		return nil, nil
	}
	return out, nil
}

func orAll[T ~byte](list, all []T) []byte {
	if list == nil {
		list = all
	}
	b := make([]byte, len(list))
	for i, v := range list {
		b[i] = byte(v)
	}
	return b
}
