package zmtp

import "bytes"

// prefixNode is a node of an immutable radix tree of subscription
// prefixes: a subscriber with thousands of prefixes costs a walk along the
// topic's bytes per message, not a comparison per prefix. An update copies
// the nodes on its path and shares the rest, so the set a sender holds
// never changes under it and each update costs the path's length, not the
// tree's size. A tree of n prefixes has at most 2n nodes; labels point
// into the prefixes' own bytes.
type prefixNode struct {
	label []byte        // the bytes on the edge into this node
	end   bool          // a prefix ends here
	kids  []*prefixNode // by label[0], ascending; labels are never empty
}

// matchTree reports whether topic starts with a prefix in the tree.
func (n *prefixNode) matchTree(topic []byte) bool {
	for n != nil {
		if !bytes.HasPrefix(topic, n.label) {
			return false
		}
		topic = topic[len(n.label):]
		if n.end {
			return true
		}
		if len(topic) == 0 {
			return false
		}
		i, ok := n.kid(topic[0])
		if !ok {
			return false
		}
		n = n.kids[i]
	}
	return false
}

// kid returns the index of the child whose label starts with c, or where
// such a child would go.
func (n *prefixNode) kid(c byte) (int, bool) {
	lo, hi := 0, len(n.kids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.kids[m].label[0] < c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(n.kids) && n.kids[lo].label[0] == c
}

// insert returns a tree that also holds p (given relative to n, past
// n's label); p's bytes must not change afterwards.
func (n *prefixNode) insert(p []byte) *prefixNode {
	c := *n
	if len(p) == 0 {
		c.end = true
		return &c
	}
	i, ok := n.kid(p[0])
	if !ok {
		leaf := &prefixNode{label: p, end: true}
		c.kids = make([]*prefixNode, 0, len(n.kids)+1)
		c.kids = append(append(append(c.kids, n.kids[:i]...), leaf), n.kids[i:]...)
		return &c
	}
	k := n.kids[i]
	l := commonPrefix(k.label, p)
	var nk *prefixNode
	if l == len(k.label) {
		nk = k.insert(p[l:])
	} else {
		// Split k's edge where p leaves it.
		rest := *k
		rest.label = k.label[l:]
		mid := &prefixNode{label: k.label[:l:l], kids: []*prefixNode{&rest}}
		nk = mid.insert(p[l:])
	}
	c.kids = append([]*prefixNode(nil), n.kids...)
	c.kids[i] = nk
	return &c
}

// remove returns a tree without p (relative to n, past n's label), which
// the tree must hold, or nil when nothing is left. Below the root (root
// false), a node left with no prefix of its own and one child is merged
// with it, so the tree stays as small as its prefixes make it; the root
// keeps its empty label.
func (n *prefixNode) remove(p []byte, root bool) *prefixNode {
	c := *n
	if len(p) == 0 {
		c.end = false
	} else {
		i, ok := n.kid(p[0])
		if !ok || !bytes.HasPrefix(p, n.kids[i].label) {
			return n // not held: cannot happen, the counts say it is
		}
		nk := n.kids[i].remove(p[len(n.kids[i].label):], false)
		c.kids = make([]*prefixNode, 0, len(n.kids))
		c.kids = append(c.kids, n.kids[:i]...)
		if nk != nil {
			c.kids = append(c.kids, nk)
		}
		c.kids = append(c.kids, n.kids[i+1:]...)
	}
	switch {
	case c.end || root:
	case len(c.kids) == 0:
		return nil
	case len(c.kids) == 1:
		k := c.kids[0]
		label := make([]byte, 0, len(c.label)+len(k.label))
		return &prefixNode{label: append(append(label, c.label...), k.label...), end: k.end, kids: k.kids}
	}
	return &c
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// appendPrefixes appends every prefix held under n to out, each a new
// slice; path is the bytes before n's label.
func (n *prefixNode) appendPrefixes(out [][]byte, path []byte) [][]byte {
	if n == nil {
		return out
	}
	path = append(path[:len(path):len(path)], n.label...)
	if n.end {
		out = append(out, append([]byte(nil), path...))
	}
	for _, k := range n.kids {
		out = k.appendPrefixes(out, path)
	}
	return out
}
