package zmtp

import "bytes"

// subSet is a set of subscription prefixes with reference counts, as a
// PUB keeps per subscriber and a SUB keeps for itself. The fields the send
// path reads (all, few, tree) never change once published: an update that
// changes the distinct prefixes publishes a new subSet, sharing all but
// the changed path of the tree with the old one, so that subscribing to
// n prefixes one by one costs n tree paths, not n² list copies. The
// counts map is shared between versions and touched only by the set's
// single writer (the subscriber's reader goroutine, or the socket under
// its lock), so a repeated subscribe or an unknown cancel costs a map
// operation.
type subSet struct {
	all    bool        // the empty prefix is subscribed: everything matches
	few    [][]byte    // the prefixes while there are at most linearMatch
	tree   *prefixNode // the prefixes
	n      int         // distinct prefixes
	bytes  int         // the distinct prefixes' total length
	counts map[string]int
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
	if s.n > linearMatch {
		return s.tree.matchTree(topic)
	}
	for _, p := range s.few {
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
		s = &subSet{counts: make(map[string]int), tree: &prefixNode{}}
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
	n := &subSet{counts: s.counts, n: s.n, bytes: s.bytes, all: s.all}
	if add {
		own := append([]byte(nil), prefix...)
		n.n++
		n.bytes += len(own)
		n.all = n.all || len(own) == 0
		s.counts[string(own)] = 1
		n.tree = s.tree.insert(own)
	} else {
		n.n--
		n.bytes -= len(prefix)
		n.all = n.all && len(prefix) != 0
		delete(s.counts, string(prefix))
		n.tree = s.tree.remove(prefix, true)
	}
	if n.n <= linearMatch {
		n.few = n.tree.appendPrefixes(nil, nil)
	}
	return n, true
}

// clone returns a copy with counts of its own, or nil.
func (s *subSet) clone() *subSet {
	if s == nil {
		return nil
	}
	c := *s
	c.counts = make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		c.counts[k] = v
	}
	return &c
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
	return s.n
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

// distinct returns each subscribed prefix once (built from the tree; for
// a reconnect, not for the send path).
func (s *subSet) distinct() [][]byte {
	if s == nil {
		return nil
	}
	if s.n <= linearMatch {
		return s.few
	}
	return s.tree.appendPrefixes(nil, nil)
}
