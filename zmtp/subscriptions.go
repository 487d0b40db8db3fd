package zmtp

import "bytes"

// subSet is a set of subscription prefixes with reference counts, as a
// PUB keeps per subscriber and a SUB keeps for itself. The fields the send
// path reads (all, prefixes) never change once published: an update that
// changes the distinct prefixes publishes a new subSet. The counts map is
// shared between versions and touched only by the set's single writer (the
// subscriber's reader goroutine, or the socket under its lock), so a
// repeated subscribe or an unknown cancel costs a map operation, not a copy.
type subSet struct {
	all      bool // the empty prefix is subscribed: everything matches
	prefixes [][]byte
	tree     *prefixNode // the same prefixes, for sets of more than linearMatch
	bytes    int         // the distinct prefixes' total length
	counts   map[string]int
}

// linearMatch is the set size up to which match compares each prefix in
// turn: that beats a walk down the tree for one or two prefixes (measured
// by BenchmarkMatch: 5 and 7 ns against 10); beyond, the tree keeps the
// cost of a message independent of how many prefixes a subscriber holds
// (10 ns for 4096, up to maxPeerSubscriptions).
const linearMatch = 2

// match reports whether topic (the first frame) starts with a prefix.
func (s *subSet) match(topic []byte) bool {
	if s == nil {
		return false
	}
	if s.all {
		return true
	}
	if len(s.prefixes) > linearMatch {
		return s.tree.matchTree(topic)
	}
	for _, p := range s.prefixes {
		if bytes.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// with applies one subscribe (add) or cancel and returns the set to
// publish and whether the distinct prefixes changed.
func (s *subSet) with(prefix []byte, add bool) (*subSet, bool) {
	if s == nil {
		if !add {
			return nil, false
		}
		s = &subSet{counts: make(map[string]int)}
	}
	c := s.counts[string(prefix)]
	switch {
	case add && c > 0:
		s.counts[string(prefix)] = c + 1
		return s, false
	case !add && c == 0:
		return s, false
	case !add && c > 1:
		s.counts[string(prefix)] = c - 1
		return s, false
	}
	n := &subSet{counts: s.counts, bytes: s.bytes}
	if add {
		n.bytes += len(prefix)
		s.counts[string(prefix)] = 1
		own := append([]byte(nil), prefix...)
		n.prefixes = make([][]byte, 0, len(s.prefixes)+1)
		n.prefixes = append(n.prefixes, s.prefixes...)
		n.prefixes = append(n.prefixes, own)
		root := s.tree
		if root == nil {
			root = &prefixNode{}
		}
		n.tree = root.insert(own)
	} else {
		n.bytes -= len(prefix)
		delete(s.counts, string(prefix))
		n.tree = s.tree.remove(prefix, true)
		n.prefixes = make([][]byte, 0, len(s.prefixes))
		for _, p := range s.prefixes {
			if !bytes.Equal(p, prefix) {
				n.prefixes = append(n.prefixes, p)
			}
		}
	}
	for _, p := range n.prefixes {
		if len(p) == 0 {
			n.all = true
		}
	}
	return n, true
}

// clone returns a copy with counts of its own, or nil.
func (s *subSet) clone() *subSet {
	if s == nil {
		return nil
	}
	c := &subSet{all: s.all, prefixes: s.prefixes, tree: s.tree, bytes: s.bytes, counts: make(map[string]int, len(s.counts))}
	for k, v := range s.counts {
		c.counts[k] = v
	}
	return c
}

// byteSize returns the distinct prefixes' total length.
func (s *subSet) byteSize() int {
	if s == nil {
		return 0
	}
	return s.bytes
}

// size returns the number of distinct prefixes.
func (s *subSet) size() int {
	if s == nil {
		return 0
	}
	return len(s.prefixes)
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
