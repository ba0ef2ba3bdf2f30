package sealed

import (
	"encoding/binary"
	"errors"
	"sort"
)

// leaf is one index block: the sorted keys in [lo, hi) (hi unbounded when
// !hasHi) and the id of its right sibling, which holds [hi, …). Leaves only
// ever split to the right, so a leaf's lo never changes and a reader that
// lands left of its key follows next links (a B-link tree): the root is an
// accelerator, never needed for correctness.
type leaf struct {
	lo, hi string
	hasHi  bool
	next   string
	keys   []string
}

// covers reports whether k belongs in l or to its left.
func (l *leaf) covers(k string) bool { return !l.hasHi || k < l.hi }

// find returns the position of k and whether it is present.
func (l *leaf) find(k string) (int, bool) {
	i := sort.SearchStrings(l.keys, k)
	return i, i < len(l.keys) && l.keys[i] == k
}

// size is the encoded length of l.
func (l *leaf) size() int {
	n := 2 + lpLen(l.lo) + lpLen(l.hi) + lpLen(l.next) + binary.MaxVarintLen32
	for _, k := range l.keys {
		n += lpLen(k)
	}
	return n
}

func lpLen(s string) int { return binary.MaxVarintLen32 + len(s) }

func appendLP(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (l *leaf) encode() []byte {
	b := make([]byte, 0, l.size())
	b = append(b, 1)
	b = appendLP(b, l.lo)
	if l.hasHi {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendLP(b, l.hi)
	b = appendLP(b, l.next)
	b = binary.AppendUvarint(b, uint64(len(l.keys)))
	for _, k := range l.keys {
		b = appendLP(b, k)
	}
	return b
}

var errBlock = errors.New("malformed index block")

// reader decodes length-prefixed fields, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBlock
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) lp() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBlock
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) byte1() byte {
	if len(r.b) == 0 {
		r.err = errBlock
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func decodeLeaf(b []byte) (*leaf, error) {
	r := &reader{b: b}
	if r.byte1() != 1 {
		return nil, errBlock
	}
	l := &leaf{lo: r.lp()}
	l.hasHi = r.byte1() == 1
	l.hi = r.lp()
	l.next = r.lp()
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, errBlock
	}
	l.keys = make([]string, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		l.keys = append(l.keys, r.lp())
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errBlock
	}
	return l, nil
}

// root lists blocks by their lo, ascending: the root block lists leaves
// and guides, a guide block lists leaves (same encoding, other flags); in
// the root the head leaf (lo "") is implicit unless a guide has lo "". A
// root or guide is only a hint: any leaf whose lo ≤ k is a correct start
// for a seek to k, so either may lag behind splits (a crash, a lost race)
// or name a block that is gone; readers then follow next links and repair
// it.
type root struct {
	los  []string
	ids  []string
	size int // plaintext bytes as stored (0 for a root not read or written)
}

// thinned returns a copy of r keeping every other entry (the first, third,
// …): leaves left out stay reachable through the next links of the leaf
// kept left of them.
func (r *root) thinned() *root {
	n := &root{los: make([]string, 0, (len(r.los)+1)/2), ids: make([]string, 0, (len(r.ids)+1)/2)}
	for i := 0; i < len(r.los); i += 2 {
		n.los = append(n.los, r.los[i])
		n.ids = append(n.ids, r.ids[i])
	}
	return n
}

// split returns r as is when it encodes within limit, else cut into
// consecutive pieces of at most target bytes each (one entry at least).
func (r *root) split(limit, target int) []*root {
	if r.encodedLen() <= limit {
		return []*root{r}
	}
	var out []*root
	cur, size := &root{}, 1+binary.MaxVarintLen64
	for i := range r.los {
		e := lpLen(r.los[i]) + lpLen(r.ids[i])
		if len(cur.los) > 0 && size+e > target {
			out = append(out, cur)
			cur, size = &root{}, 1+binary.MaxVarintLen64
		}
		cur.los, cur.ids = append(cur.los, r.los[i]), append(cur.ids, r.ids[i])
		size += e
	}
	return append(out, cur)
}

// encodedLen bounds len(r.encode()) from above without building it.
func (r *root) encodedLen() int {
	n := 1 + binary.MaxVarintLen64
	for i := range r.los {
		n += lpLen(r.los[i]) + lpLen(r.ids[i])
	}
	return n
}

// lookup returns the id of the rightmost block whose lo ≤ k (the head leaf
// when there is none).
func (r *root) lookup(k string) string {
	i := sort.Search(len(r.los), func(i int) bool { return r.los[i] > k })
	if i == 0 {
		return headID
	}
	return r.ids[i-1]
}

// has reports whether r lists id at lo.
func (r *root) has(lo, id string) bool {
	i := sort.SearchStrings(r.los, lo)
	return i < len(r.los) && r.los[i] == lo && r.ids[i] == id
}

// with returns a copy of r listing (lo, id), replacing a stale entry at lo.
func (r *root) with(lo, id string) *root {
	i := sort.SearchStrings(r.los, lo)
	n := &root{los: make([]string, 0, len(r.los)+1), ids: make([]string, 0, len(r.ids)+1)}
	n.los = append(append(n.los, r.los[:i]...), lo)
	n.ids = append(append(n.ids, r.ids[:i]...), id)
	j := i
	if j < len(r.los) && r.los[j] == lo {
		j++
	}
	n.los = append(n.los, r.los[j:]...)
	n.ids = append(n.ids, r.ids[j:]...)
	return n
}

func (r *root) encode() []byte {
	n := 1 + binary.MaxVarintLen32
	for i := range r.los {
		n += lpLen(r.los[i]) + lpLen(r.ids[i])
	}
	b := make([]byte, 0, n)
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(r.los)))
	for i := range r.los {
		b = appendLP(appendLP(b, r.los[i]), r.ids[i])
	}
	return b
}

func decodeRoot(b []byte) (*root, error) {
	r := &reader{b: b}
	if r.byte1() != 1 {
		return nil, errBlock
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, errBlock
	}
	rt := &root{los: make([]string, 0, n), ids: make([]string, 0, n)}
	for i := uint64(0); i < n && r.err == nil; i++ {
		rt.los = append(rt.los, r.lp())
		rt.ids = append(rt.ids, r.lp())
	}
	if r.err != nil || len(r.b) != 0 || !sort.StringsAreSorted(rt.los) {
		return nil, errBlock
	}
	return rt, nil
}
