package codec

// interner returns one shared string for short byte strings seen again
// and again (attribute keys, host and logger names), so decoding a stream
// of similar records does not allocate them each time. It is a direct
// mapped cache: a collision just replaces the slot. The zero value is
// ready; a nil interner allocates every string.
type interner struct {
	tab [1024]string
}

const internMax = 48

func (in *interner) intern(b []byte) string {
	if in == nil || len(b) > internMax {
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
