package sealed

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	crand "crypto/rand"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Index block names inside a namespace's index namespace. Split leaves get
// random ids, so two gateways splitting at once never collide.
const (
	headID = "0" // the leftmost leaf, lo ""
	rootID = "r"
)

// errNoIndex means the namespace has no head leaf yet: it was never written.
var errNoIndex = errors.New("sealed: namespace has no index")

// maxCASTries bounds the retries of one index update under contention.
const maxCASTries = 200

// op is one pending index change: insert key, or remove it.
type op struct {
	key  string
	del  bool
	done chan error
}

// batcher coalesces the index changes of one namespace in this process:
// the first caller starts a leader that applies everything queued
// meanwhile in as few conditional writes as there are leaves touched, so
// concurrent PUTs of new keys share writes instead of racing on one leaf.
type batcher struct {
	mu      sync.Mutex
	pending []op
	running bool
}

// index is the sealed ordered key index of every namespace (see block.go
// for the B-link structure).
type index struct {
	inner   storage.Meta
	c       *cipherSet
	maxLeaf int
	maxRoot int // cap on the root's plaintext; a fuller root is thinned

	mu       sync.Mutex
	leaves   map[string]cachedLeaf // ixns + "/" + id → last leaf seen
	roots    map[string]*root      // ixns → cached root
	batchers map[string]*batcher   // ixns → its batcher
}

type cachedLeaf struct {
	v storage.Version
	l *leaf
}

// maxCachedLeaves bounds the decoded-leaf cache (leaves are ≤ maxLeaf).
const maxCachedLeaves = 1024

// maxCachedRoots bounds the root cache (roots are small; most are empty).
const maxCachedRoots = 4096

// repairHops is how far a seek may walk past a root entry before it adds
// the leaf it reached to a root that is at least half full. An emptier root
// is repaired after any hop; a fuller one only after longer walks, so that
// a thinned root (see addRoot) is not refilled by every seek into a gap.
const repairHops = 8

func newIndex(inner storage.Meta, c *cipherSet, maxLeaf, maxRoot int) *index {
	return &index{inner: inner, c: c, maxLeaf: maxLeaf, maxRoot: maxRoot,
		leaves: map[string]cachedLeaf{}, roots: map[string]*root{}, batchers: map[string]*batcher{}}
}

// getLeaf reads and opens leaf id. Decoding is skipped when the stored
// version is the one last decoded: versions change on every write.
func (x *index) getLeaf(ctx context.Context, ns, ixns, id string) (*leaf, storage.Version, error) {
	raw, v, err := x.inner.Get(ctx, ixns, id)
	if err != nil {
		return nil, 0, err
	}
	ck := ixns + "/" + id
	x.mu.Lock()
	c, ok := x.leaves[ck]
	x.mu.Unlock()
	if ok && c.v == v {
		return c.l, v, nil
	}
	flags, plain, err := x.c.open(raw, ad(0, ns, id, "leaf"))
	if err != nil {
		return nil, 0, fmt.Errorf("sealed: index leaf: %w", err)
	}
	l, err := decodeLeaf(plain)
	if flags != flagLeaf || err != nil {
		return nil, 0, fmt.Errorf("sealed: index leaf: %w", storage.ErrCorrupt)
	}
	x.remember(ck, v, l)
	return l, v, nil
}

func (x *index) remember(ck string, v storage.Version, l *leaf) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.leaves) >= maxCachedLeaves {
		for k := range x.leaves { // drop an arbitrary half
			delete(x.leaves, k)
			if len(x.leaves) < maxCachedLeaves/2 {
				break
			}
		}
	}
	x.leaves[ck] = cachedLeaf{v: v, l: l}
}

// putLeaf seals and writes leaf id under cond.
func (x *index) putLeaf(ctx context.Context, ns, ixns, id string, l *leaf, cond storage.Cond) error {
	frame := x.c.seal(flagLeaf, l.encode(), ad(0, ns, id, "leaf"))
	v, err := x.inner.Put(ctx, ixns, id, frame, cond)
	if err != nil {
		return err
	}
	x.remember(ixns+"/"+id, v, l)
	return nil
}

// loadRoot returns the root, from the cache unless fresh. A missing or
// unreadable root reads as empty (walks then start at the head leaf).
func (x *index) loadRoot(ctx context.Context, ns, ixns string, fresh bool) (*root, storage.Version) {
	if !fresh {
		x.mu.Lock()
		r, ok := x.roots[ixns]
		x.mu.Unlock()
		if ok {
			return r, 0
		}
	}
	rt, v := &root{}, storage.Version(0)
	raw, ver, err := x.inner.Get(ctx, ixns, rootID)
	if err == nil {
		v = ver
		if flags, plain, err := x.c.open(raw, ad(0, ns, rootID, "root")); err == nil && flags == flagRoot {
			if r, err := decodeRoot(plain); err == nil {
				rt, rt.size = r, len(plain)
			}
		}
	}
	x.cacheRoot(ixns, rt)
	return rt, v
}

// cacheRoot remembers rt, forgetting every cached root past maxCachedRoots
// (there is one namespace per bucket and per multipart upload).
func (x *index) cacheRoot(ixns string, rt *root) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.roots) >= maxCachedRoots {
		clear(x.roots)
	}
	x.roots[ixns] = rt
}

// addRoot records new leaves in the root (best effort: the B-link chain
// already reaches them). A root that would outgrow maxRoot is thinned to
// every other entry until it fits in half of it: the root stays a sample of
// the leaves, spread over the whole key range, and a seek walks at most a
// few links from the entry left of it, however many leaves there are.
// (Refusing new entries instead would leave every leaf split after the
// root filled to one ever longer walk from the root's last entry.)
func (x *index) addRoot(ctx context.Context, ns, ixns string, los, ids []string) {
	for try := 0; try < 10; try++ {
		rt, v := x.loadRoot(ctx, ns, ixns, true)
		n := rt
		for i := range los {
			if !n.has(los[i], ids[i]) {
				n = n.with(los[i], ids[i])
			}
		}
		if n == rt {
			return
		}
		plain := n.encode()
		for len(plain) > x.maxRoot && len(n.los) > 1 {
			n = n.thinned()
			for len(n.los) > 1 && n.encodedLen() > x.maxRoot/2 {
				n = n.thinned()
			}
			plain = n.encode()
		}
		if len(plain) > x.maxRoot {
			return // one entry longer than the cap: seeks walk from the head
		}
		n.size = len(plain)
		cond := storage.Cond{IfVersion: v, IfAbsent: v == 0}
		_, err := x.inner.Put(ctx, ixns, rootID, x.c.seal(flagRoot, plain, ad(0, ns, rootID, "root")), cond)
		if err == nil {
			x.cacheRoot(ixns, n)
			return
		}
		if !errors.Is(err, storage.ErrPrecondition) {
			return
		}
	}
}

// findLeaf returns the leaf covering k, with its id and version: it starts
// at the cached root's guess and follows next links. Having to follow a
// link means the cached root is stale (or the stored one lags), so the root
// is reloaded and repaired.
func (x *index) findLeaf(ctx context.Context, ns, ixns, k string) (string, *leaf, storage.Version, error) {
	rt, _ := x.loadRoot(ctx, ns, ixns, false)
	id := rt.lookup(k)
	for hops := 0; ; hops++ {
		if err := ctx.Err(); err != nil {
			return "", nil, 0, err
		}
		l, v, err := x.getLeaf(ctx, ns, ixns, id)
		switch {
		case errors.Is(err, storage.ErrNotFound) && id == headID:
			return "", nil, 0, errNoIndex
		case errors.Is(err, storage.ErrNotFound) && hops == 0:
			// A root entry naming no leaf: walk from the head instead.
			id = headID
			continue
		case err != nil:
			return "", nil, 0, fmt.Errorf("sealed: index leaf %s: %w", id, err)
		}
		if k < l.lo {
			return "", nil, 0, fmt.Errorf("sealed: index leaf %s starts after %q: %w", id, k, storage.ErrCorrupt)
		}
		if l.covers(k) {
			if hops > 0 && (rt.size < x.maxRoot/2 || hops > repairHops) {
				x.addRoot(ctx, ns, ixns, []string{l.lo}, []string{id})
			}
			return id, l, v, nil
		}
		if l.next == "" || hops > 1<<20 {
			return "", nil, 0, fmt.Errorf("sealed: index leaf %s has no right sibling: %w", id, storage.ErrCorrupt)
		}
		id = l.next
	}
}

// contains reports whether the index holds k.
func (x *index) contains(ctx context.Context, ns, k string) (bool, error) {
	_, l, _, err := x.findLeaf(ctx, ns, x.c.indexNS(ns), k)
	if errors.Is(err, errNoIndex) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, ok := l.find(k)
	return ok, nil
}

// change queues an insert or removal of key in ns and waits until a leader
// (possibly this caller) has applied it.
func (x *index) change(ctx context.Context, ns, key string, del bool) error {
	ixns := x.c.indexNS(ns)
	x.mu.Lock()
	b := x.batchers[ixns]
	if b == nil {
		b = &batcher{}
		x.batchers[ixns] = b
	}
	x.mu.Unlock()
	o := op{key: key, del: del, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, o)
	lead := !b.running
	b.running = true
	b.mu.Unlock()
	if lead {
		// The leader works for others too, so it runs on its own: its
		// caller's cancellation must not fail their changes, and no caller
		// waits longer than for the batch before its own and its own.
		go x.lead(context.WithoutCancel(ctx), ns, ixns, b)
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lead applies b's queue, batch by batch, until it is empty.
func (x *index) lead(ctx context.Context, ns, ixns string, b *batcher) {
	for {
		b.mu.Lock()
		ops := b.pending
		b.pending = nil
		if len(ops) == 0 {
			b.running = false
			b.mu.Unlock()
			// Idle batchers go, or one per multipart upload's part
			// namespace would pile up; a caller still holding this one
			// simply starts a leader for it again.
			x.mu.Lock()
			if x.batchers[ixns] == b {
				delete(x.batchers, ixns)
			}
			x.mu.Unlock()
			return
		}
		b.mu.Unlock()
		err := x.apply(ctx, ns, ixns, ops)
		for _, o := range ops {
			o.done <- err
		}
	}
}

// apply makes ops true in the stored index, one conditional write per leaf
// touched (plus new leaves when one overflows).
func (x *index) apply(ctx context.Context, ns, ixns string, ops []op) error {
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].key < ops[j].key })
	// One change per key; an insert wins over a removal (a superset is safe).
	var keys []string
	var del []bool
	for _, o := range ops {
		if n := len(keys); n > 0 && keys[n-1] == o.key {
			del[n-1] = del[n-1] && o.del
			continue
		}
		keys, del = append(keys, o.key), append(del, o.del)
	}
	for tries := 0; len(keys) > 0; {
		id, l, v, err := x.findLeaf(ctx, ns, ixns, keys[0])
		if errors.Is(err, errNoIndex) {
			if allTrue(del) {
				return nil // nothing to remove from an index never written
			}
			err = x.putLeaf(ctx, ns, ixns, headID, &leaf{}, storage.Cond{IfAbsent: true})
			if err != nil && !errors.Is(err, storage.ErrPrecondition) {
				return fmt.Errorf("sealed: index head: %w", err)
			}
			continue
		}
		if err != nil {
			return err
		}
		n := 1
		for n < len(keys) && l.covers(keys[n]) {
			n++
		}
		merged, changed := mergeKeys(l.keys, keys[:n], del[:n])
		if changed {
			err = x.write(ctx, ns, ixns, id, l, v, merged)
			if errors.Is(err, storage.ErrPrecondition) {
				if tries++; tries > maxCASTries {
					return fmt.Errorf("sealed: index of a namespace: %d lost races: %w", tries, storage.ErrUnavailable)
				}
				time.Sleep(time.Duration(rand.IntN(min(tries, 20)*200+1)) * time.Microsecond)
				continue
			}
			if err != nil {
				return fmt.Errorf("sealed: index leaf %s: %w", id, err)
			}
		}
		keys, del = keys[n:], del[n:]
	}
	return nil
}

func allTrue(b []bool) bool {
	for _, v := range b {
		if !v {
			return false
		}
	}
	return true
}

// mergeKeys returns the sorted keys with the sorted changes applied.
func mergeKeys(have, keys []string, del []bool) ([]string, bool) {
	out := make([]string, 0, len(have)+len(keys))
	changed := false
	i := 0
	for j, k := range keys {
		for i < len(have) && have[i] < k {
			out = append(out, have[i])
			i++
		}
		present := i < len(have) && have[i] == k
		if present {
			i++
		}
		switch {
		case del[j] && present:
			changed = true
		case !del[j]:
			out = append(out, k)
			changed = changed || !present
		}
	}
	return append(out, have[i:]...), changed
}

// write replaces leaf id (read at version v) by keys, splitting it when it
// grows past maxLeaf: new right leaves are written first (invisible until
// linked), then the conditional write of id links them, then the root
// learns of them.
func (x *index) write(ctx context.Context, ns, ixns, id string, l *leaf, v storage.Version, keys []string) error {
	pieces := x.pack(keys)
	ids := make([]string, len(pieces))
	ids[0] = id
	for i := 1; i < len(pieces); i++ {
		ids[i] = newLeafID()
	}
	made := 0
	for i := len(pieces) - 1; i >= 1; i-- {
		nl := &leaf{lo: pieces[i][0], hi: l.hi, hasHi: l.hasHi, next: l.next, keys: pieces[i]}
		if i+1 < len(pieces) {
			nl.hi, nl.hasHi, nl.next = pieces[i+1][0], true, ids[i+1]
		}
		if err := x.putLeaf(ctx, ns, ixns, ids[i], nl, storage.Cond{IfAbsent: true}); err != nil {
			x.dropLeaves(ctx, ixns, ids[i+1:])
			return err
		}
		made++
	}
	nl := &leaf{lo: l.lo, hi: l.hi, hasHi: l.hasHi, next: l.next, keys: pieces[0]}
	if len(pieces) > 1 {
		nl.hi, nl.hasHi, nl.next = pieces[1][0], true, ids[1]
	}
	if err := x.putLeaf(ctx, ns, ixns, id, nl, storage.Cond{IfVersion: v}); err != nil {
		// Only a lost guard proves the new leaves unlinked; after any other
		// error the write may have landed and they may be in the chain.
		if errors.Is(err, storage.ErrPrecondition) {
			x.dropLeaves(ctx, ixns, ids[1:])
		}
		return err
	}
	// A root at least half full takes new leaves only from seeks that had to
	// walk far (findLeaf): recording every split would refill it, thin it
	// and refill it again, each time rewriting up to 1 MiB, and would keep
	// the ranges written last dense and the older ones ever sparser. Left to
	// the seeks, every range settles at a walk of at most repairHops links.
	if rt, _ := x.loadRoot(ctx, ns, ixns, false); len(pieces) > 1 && rt.size < x.maxRoot/2 {
		los := make([]string, 0, len(pieces)-1)
		for _, p := range pieces[1:] {
			los = append(los, p[0])
		}
		x.addRoot(ctx, ns, ixns, los, ids[1:])
	}
	return nil
}

// pack cuts keys into leaves: one when it fits, else pieces of about half
// a leaf, so the next inserts do not split again at once.
func (x *index) pack(keys []string) [][]string {
	total := 0
	for _, k := range keys {
		total += lpLen(k)
	}
	if total+64 <= x.maxLeaf || len(keys) < 2 {
		return [][]string{keys}
	}
	target := x.maxLeaf / 2
	var out [][]string
	start, size := 0, 0
	for i, k := range keys {
		if size > 0 && size+lpLen(k) > target {
			out = append(out, keys[start:i])
			start, size = i, 0
		}
		size += lpLen(k)
	}
	return append(out, keys[start:])
}

// dropLeaves removes leaves written for a split that lost its race.
func (x *index) dropLeaves(ctx context.Context, ixns string, ids []string) {
	for _, id := range ids {
		_ = x.inner.Delete(ctx, ixns, id, storage.Cond{}) // unlinked: garbage at worst
	}
}

func newLeafID() string {
	var b [12]byte
	_, _ = crand.Read(b[:]) // documented never to fail since Go 1.24
	return "l" + hex.EncodeToString(b[:])
}
