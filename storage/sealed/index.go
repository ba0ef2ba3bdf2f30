package sealed

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	crand "crypto/rand"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Index block names inside a namespace's index namespace. Split leaves and
// guides get random ids, so two gateways splitting at once never collide.
// A guide is stored under its id + guideSuffix, not its id: a gateway of a
// version without guides that finds a guide's id in the root then reads
// "not found" and walks from the head leaf (slow, correct) instead of
// failing on a block it cannot open as a leaf.
const (
	headID      = "0" // the leftmost leaf, lo ""
	rootID      = "r"
	guidePrefix = "g"  // guide ids: "g" + hex; leaf ids: "0", "l" + hex
	guideSuffix = ".g" // a guide's stored key: its id + ".g"
)

func isGuide(id string) bool    { return strings.HasPrefix(id, guidePrefix) }
func guideKey(id string) string { return id + guideSuffix }

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
	inner    storage.Meta
	c        *cipherSet
	maxLeaf  int
	maxRoot  int // cap on the root's plaintext; a fuller root is thinned
	maxGuide int // cap on a guide's plaintext; a fuller guide splits

	mu       sync.Mutex
	leaves   map[string]cachedLeaf // ixns + "/" + id → last leaf seen
	roots    map[string]*root      // ixns → cached root
	guides   map[string]*root      // ixns + "/" + id → cached guide
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

// maxCachedGuides bounds the decoded-guide cache (guides are ≤ maxGuide).
const maxCachedGuides = 512

// repairHops is how far a seek may walk past a root entry before it adds
// the leaf it reached to a root that is at least half full. An emptier root
// (and any guide) is repaired after any hop; a fuller root only after
// longer walks, so that a thinned root (see addRoot) is not refilled by
// every seek into a gap.
const repairHops = 8

func newIndex(inner storage.Meta, c *cipherSet, maxLeaf, maxRoot, maxGuide int) *index {
	return &index{inner: inner, c: c, maxLeaf: maxLeaf, maxRoot: maxRoot, maxGuide: maxGuide,
		leaves: map[string]cachedLeaf{}, roots: map[string]*root{}, guides: map[string]*root{},
		batchers: map[string]*batcher{}}
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

// forget drops what the caches hold of ixns (after DropEmptyIndex).
func (x *index) forget(ixns string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.leaves, ixns+"/"+headID)
	delete(x.roots, ixns)
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
// unreadable root reads as empty (walks then start at the head leaf). Its
// entries name leaves or guides (isGuide).
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
				rt = r
				rt.size = len(plain)
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

// getGuide reads and opens guide id, from the cache unless fresh (a cached
// guide may lag behind the stored one: it is only a hint).
func (x *index) getGuide(ctx context.Context, ns, ixns, id string, fresh bool) (*root, storage.Version, error) {
	ck := ixns + "/" + id
	if !fresh {
		x.mu.Lock()
		g, ok := x.guides[ck]
		x.mu.Unlock()
		if ok {
			return g, 0, nil
		}
	}
	raw, v, err := x.inner.Get(ctx, ixns, guideKey(id))
	if err != nil {
		return nil, 0, err
	}
	flags, plain, err := x.c.open(raw, ad(0, ns, id, "guide"))
	if err != nil {
		return nil, 0, fmt.Errorf("sealed: index guide: %w", err)
	}
	g, err := decodeRoot(plain)
	if flags != flagGuide || err != nil {
		return nil, 0, fmt.Errorf("sealed: index guide: %w", storage.ErrCorrupt)
	}
	g.size = len(plain)
	x.cacheGuide(ck, g)
	return g, v, nil
}

func (x *index) cacheGuide(ck string, g *root) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.guides) >= maxCachedGuides {
		for k := range x.guides { // drop an arbitrary half
			delete(x.guides, k)
			if len(x.guides) < maxCachedGuides/2 {
				break
			}
		}
	}
	x.guides[ck] = g
}

// putGuide seals and writes guide id under cond.
func (x *index) putGuide(ctx context.Context, ns, ixns, id string, g *root, cond storage.Cond) error {
	plain := g.encode()
	if _, err := x.inner.Put(ctx, ixns, guideKey(id), x.c.seal(flagGuide, plain, ad(0, ns, id, "guide")), cond); err != nil {
		return err
	}
	g.size = len(plain)
	x.cacheGuide(ixns+"/"+id, g)
	return nil
}

// dropGuides removes guides written for a change that lost its race.
func (x *index) dropGuides(ctx context.Context, ixns string, ids []string) {
	for _, id := range ids {
		_ = x.inner.Delete(ctx, ixns, guideKey(id), storage.Cond{}) // unnamed: garbage at worst
	}
}

// route returns the leaf a seek for k starts at, and the guide that named
// it ("" when the root did, or nothing did). Any leaf whose lo ≤ k is a
// correct start (findLeaf walks right from it), so a missing or unreadable
// guide only costs a walk from the head leaf, which findLeaf then repairs.
func (x *index) route(ctx context.Context, ns, ixns string, rt *root, k string) (leafID, via string) {
	id := rt.lookup(k)
	if !isGuide(id) {
		return id, ""
	}
	g, _, err := x.getGuide(ctx, ns, ixns, id, false)
	if err != nil {
		return headID, id
	}
	return g.lookup(k), id
}

// addLeaves records new leaves (all within one leaf's former range) in the
// guide the root routes them to, or in the root when it routes them to a
// leaf (a small namespace, or a root written before guides existed). Best
// effort: the B-link chain already reaches them. fresh rereads the root
// first (a seek that had to walk suspects its cached root).
func (x *index) addLeaves(ctx context.Context, ns, ixns string, los, ids []string, fresh bool) {
	rt, _ := x.loadRoot(ctx, ns, ixns, fresh)
	if gid := rt.lookup(los[0]); isGuide(gid) && x.addGuide(ctx, ns, ixns, gid, los, ids) {
		return
	}
	x.addRoot(ctx, ns, ixns, los, ids)
}

// addGuide adds leaves to guide gid under its version. A guide that would
// outgrow maxGuide splits: the new right guides are written first (named
// by nothing yet), then gid is rewritten with the left part under its
// version, then the root learns the new guides. It reports false only when
// gid cannot be read (missing or corrupt), so the caller records the
// leaves in the root instead.
func (x *index) addGuide(ctx context.Context, ns, ixns, gid string, los, ids []string) bool {
	for try := 0; try < 10; try++ {
		g, v, err := x.getGuide(ctx, ns, ixns, gid, true)
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrCorrupt) {
			return false
		}
		if err != nil {
			return true // a hint: give up
		}
		n := g
		for i := range los {
			if !n.has(los[i], ids[i]) {
				n = n.with(los[i], ids[i])
			}
		}
		if n == g {
			return true
		}
		pieces := n.split(x.maxGuide, x.maxGuide/2)
		gids := make([]string, len(pieces))
		gids[0] = gid
		for i := 1; i < len(pieces); i++ {
			gids[i] = newBlockID(guidePrefix)
			if err := x.putGuide(ctx, ns, ixns, gids[i], pieces[i], storage.Cond{IfAbsent: true}); err != nil {
				x.dropGuides(ctx, ixns, gids[1:i])
				return true
			}
		}
		err = x.putGuide(ctx, ns, ixns, gid, pieces[0], storage.Cond{IfVersion: v})
		if errors.Is(err, storage.ErrPrecondition) {
			x.dropGuides(ctx, ixns, gids[1:])
			continue
		}
		// After any other error gid may or may not have shrunk; the new
		// guides are correct hints either way.
		if len(pieces) > 1 {
			glos := make([]string, 0, len(pieces)-1)
			for _, p := range pieces[1:] {
				glos = append(glos, p.los[0])
			}
			x.addRoot(ctx, ns, ixns, glos, gids[1:])
		}
		return true
	}
	return true
}

// addRoot records entries (leaves or guides) in the root under its
// version. A root that would outgrow maxGuide moves its runs of leaf
// entries down into new guides (pushDown), so it holds about one entry per
// guide. Only a root that would still outgrow maxRoot is thinned, to every
// other entry until it fits in half of it: it stays a sample spread over
// the whole key range, and a seek walks from the entry left of its key.
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
		var made []string
		if n.encodedLen() > x.maxGuide {
			n, made = x.pushDown(ctx, ns, ixns, n)
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
			x.dropGuides(ctx, ixns, made)
			return // one entry longer than the cap: seeks walk from the head
		}
		n.size = len(plain)
		cond := storage.Cond{IfVersion: v, IfAbsent: v == 0}
		_, err := x.inner.Put(ctx, ixns, rootID, x.c.seal(flagRoot, plain, ad(0, ns, rootID, "root")), cond)
		if err == nil {
			x.cacheRoot(ixns, n)
			return
		}
		x.dropGuides(ctx, ixns, made)
		if !errors.Is(err, storage.ErrPrecondition) {
			return
		}
	}
}

// pushDown returns r with every run of two or more consecutive leaf
// entries replaced by entries naming new guides that list those leaves
// (written here, IfAbsent), and the new guides' ids, to drop if r is not
// stored after all. A run at the start of r includes the implicit head
// leaf, so its first guide has lo "". A guide that cannot be written
// leaves its run in r.
func (x *index) pushDown(ctx context.Context, ns, ixns string, r *root) (*root, []string) {
	out := &root{}
	var made []string
	for i := 0; i < len(r.los); {
		if isGuide(r.ids[i]) {
			out.los, out.ids = append(out.los, r.los[i]), append(out.ids, r.ids[i])
			i++
			continue
		}
		j := i
		for j < len(r.los) && !isGuide(r.ids[j]) {
			j++
		}
		run := &root{los: r.los[i:j:j], ids: r.ids[i:j:j]}
		if i == 0 && run.los[0] != "" {
			run = run.with("", headID)
		}
		if len(run.los) < 2 {
			out.los, out.ids = append(out.los, r.los[i:j]...), append(out.ids, r.ids[i:j]...)
			i = j
			continue
		}
		var los, ids []string
		for _, p := range run.split(0, x.maxGuide/2) {
			id := newBlockID(guidePrefix)
			if err := x.putGuide(ctx, ns, ixns, id, p, storage.Cond{IfAbsent: true}); err != nil {
				los, ids = nil, nil
				break
			}
			made = append(made, id)
			los, ids = append(los, p.los[0]), append(ids, id)
		}
		if los == nil {
			los, ids = r.los[i:j], r.ids[i:j]
		}
		out.los, out.ids = append(out.los, los...), append(out.ids, ids...)
		i = j
	}
	return out, made
}

// findLeaf returns the leaf covering k, with its id and version: it starts
// at the leaf the cached root and guide name for k and follows next links.
// Having to follow a link means the cached root or guide is stale (or the
// stored one lags), so the block that should have named the leaf is
// reloaded and repaired.
func (x *index) findLeaf(ctx context.Context, ns, ixns, k string) (string, *leaf, storage.Version, error) {
	rt, _ := x.loadRoot(ctx, ns, ixns, false)
	id, via := x.route(ctx, ns, ixns, rt, k)
	for hops := 0; ; hops++ {
		if err := ctx.Err(); err != nil {
			return "", nil, 0, err
		}
		l, v, err := x.getLeaf(ctx, ns, ixns, id)
		switch {
		case errors.Is(err, storage.ErrNotFound) && id == headID:
			return "", nil, 0, errNoIndex
		case errors.Is(err, storage.ErrNotFound) && hops == 0:
			// An entry naming no leaf: walk from the head instead.
			id = headID
			continue
		case err != nil:
			return "", nil, 0, fmt.Errorf("sealed: index leaf %s: %w", id, err)
		}
		if k < l.lo {
			return "", nil, 0, fmt.Errorf("sealed: index leaf %s starts after %q: %w", id, k, storage.ErrCorrupt)
		}
		if l.covers(k) {
			// A guide is repaired after any walk (it splits, never thins);
			// a root past half its cap only after a long one, so that a
			// thinned root is not refilled by every seek into a gap.
			if hops > 0 && (via != "" || rt.size < x.maxRoot/2 || hops > repairHops) {
				x.addLeaves(ctx, ns, ixns, []string{l.lo}, []string{id}, true)
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
// linked), then the conditional write of id links them, then their guide
// (or the root) learns of them.
func (x *index) write(ctx context.Context, ns, ixns, id string, l *leaf, v storage.Version, keys []string) error {
	pieces := x.pack(keys)
	ids := make([]string, len(pieces))
	ids[0] = id
	for i := 1; i < len(pieces); i++ {
		ids[i] = newBlockID("l")
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
	if len(pieces) > 1 {
		los := make([]string, 0, len(pieces)-1)
		for _, p := range pieces[1:] {
			los = append(los, p[0])
		}
		x.addLeaves(ctx, ns, ixns, los, ids[1:], false)
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

// newBlockID returns prefix + 24 random hex digits: "l" for a leaf, "g"
// for a guide.
func newBlockID(prefix string) string {
	var b [12]byte
	_, _ = crand.Read(b[:]) // documented never to fail since Go 1.24
	return prefix + hex.EncodeToString(b[:])
}
