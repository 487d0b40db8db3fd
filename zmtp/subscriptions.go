package zmtp

import "bytes"

// subSet is an immutable set of subscription prefixes with reference
// counts, as a PUB keeps per subscriber and a SUB keeps for itself. It is
// replaced, never modified, so the send path reads it without a lock.
type subSet struct {
	all      bool // the empty prefix is subscribed: everything matches
	prefixes [][]byte
	counts   map[string]int
}

// match reports whether topic (the first frame) starts with a prefix.
func (s *subSet) match(topic []byte) bool {
	if s == nil {
		return false
	}
	if s.all {
		return true
	}
	for _, p := range s.prefixes {
		if bytes.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// with returns a copy of s with prefix added (add) or removed once (!add),
// and whether the set of distinct prefixes changed.
func (s *subSet) with(prefix []byte, add bool) (*subSet, bool) {
	n := &subSet{counts: make(map[string]int)}
	if s != nil {
		for k, v := range s.counts {
			n.counts[k] = v
		}
	}
	k := string(prefix)
	c := n.counts[k]
	changed := false
	if add {
		n.counts[k] = c + 1
		changed = c == 0
	} else if c > 0 {
		if c == 1 {
			delete(n.counts, k)
			changed = true
		} else {
			n.counts[k] = c - 1
		}
	}
	for p := range n.counts {
		if p == "" {
			n.all = true
		}
		n.prefixes = append(n.prefixes, []byte(p))
	}
	return n, changed
}

// list returns every subscription, repeated by its count.
func (s *subSet) list() [][]byte {
	if s == nil {
		return nil
	}
	var out [][]byte
	for k, v := range s.counts {
		for i := 0; i < v; i++ {
			out = append(out, []byte(k))
		}
	}
	return out
}

// distinct returns each subscribed prefix once.
func (s *subSet) distinct() [][]byte {
	if s == nil {
		return nil
	}
	return s.prefixes
}
