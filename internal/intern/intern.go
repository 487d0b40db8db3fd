// Package intern shares one string among the many equal short byte
// strings a decoder meets (attribute keys, host and logger names), so
// decoding a stream of similar records does not allocate them each time.
package intern

// MaxLen is the longest byte string interned; longer ones are copied.
const MaxLen = 48

// Table is a direct-mapped cache: a collision just replaces the slot.
// The zero value is ready; a nil *Table allocates every string. It is
// not safe for concurrent use: one per decoder.
type Table struct {
	tab [1024]string
}

// String returns b as a string, shared with earlier calls for the same
// bytes while they stay in the table.
func (in *Table) String(b []byte) string {
	if in == nil || len(b) > MaxLen {
		return string(b)
	}
	if len(b) == 0 {
		return ""
	}
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	slot := &in.tab[h%uint32(len(in.tab))]
	if *slot == string(b) { // compiles to a comparison, no allocation
		return *slot
	}
	s := string(b)
	*slot = s
	return s
}
