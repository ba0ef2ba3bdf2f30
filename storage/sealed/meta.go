package sealed

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	crand "crypto/rand"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Options configures a sealed Meta.
type Options struct {
	// Key is the 32-byte metadata key (kdf.Service.MetadataKey). Required.
	Key [32]byte
	// LeafBytes caps an index leaf's plaintext; larger leaves split.
	// Default 32 KiB.
	LeafBytes int
	// RootBytes caps the plaintext of a namespace's index root (one entry
	// per leaf it lists); a fuller root is thinned. Default and maximum: the
	// largest value the wrapped store takes. Tests set it small.
	RootBytes int
	// GuideBytes caps the plaintext of an index guide block (one entry per
	// leaf it lists, between the root and the leaves); a fuller guide
	// splits. Default 64 KiB; at most half of RootBytes, at least room for
	// two entries of the longest key. Tests set it small.
	GuideBytes int
	// Fetchers bounds the parallel record reads of one List page. Default 16.
	Fetchers int
	// Logger hears about records List skips as unreadable. Default: none.
	Logger *slog.Logger
}

// Meta is a storage.Meta that stores only keyed-hash names and sealed values
// in the Meta it wraps. Safe for concurrent use by many goroutines, and by
// many processes sharing the wrapped store with the same key.
type Meta struct {
	inner    storage.Meta
	c        *cipherSet
	ix       *index
	fetchers int
	log      *slog.Logger
	res      reservations // keys indexed ahead of their Put (Reserve)
}

var _ storage.Meta = (*Meta)(nil)

// New wraps inner. It reads and writes nothing; Open also checks the format
// marker.
func New(inner storage.Meta, o Options) (*Meta, error) {
	if inner == nil {
		return nil, errors.New("sealed: no Meta to wrap")
	}
	if o.Key == ([32]byte{}) {
		return nil, errors.New("sealed: no metadata key")
	}
	if o.LeafBytes <= 0 {
		o.LeafBytes = 32 << 10
	}
	o.LeafBytes = max(o.LeafBytes, 4*storage.MaxKeyLen)
	if o.RootBytes <= 0 || o.RootBytes > storage.MaxValueLen-overhead {
		o.RootBytes = storage.MaxValueLen - overhead
	}
	if o.GuideBytes <= 0 {
		o.GuideBytes = 64 << 10
	}
	o.GuideBytes = max(min(o.GuideBytes, o.RootBytes/2), 2*storage.MaxKeyLen+256)
	if o.Fetchers <= 0 {
		o.Fetchers = 16
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := newCipherSet(o.Key)
	if err != nil {
		return nil, err
	}
	return &Meta{inner: inner, c: c, ix: newIndex(inner, c, min(o.LeafBytes, storage.MaxValueLen/2), o.RootBytes, o.GuideBytes), fetchers: o.Fetchers, log: o.Logger}, nil
}

// Inner returns the wrapped store (for format checks and tests).
func (m *Meta) Inner() storage.Meta { return m.inner }

// StoredName returns the namespace and key under which the record of
// (ns, key) is stored in the wrapped store, for tools and failure tests
// that must find a record's copies on disk. A value near the size limit
// also has a tail record, named StoredKey + "." + a random id.
func (m *Meta) StoredName(ns, key string) (storedNS, storedKey string) {
	return m.c.recordNS(ns), m.c.recordKey(ns, key)
}

func check(ns, key string) error {
	if ns == "" || len(ns) > storage.MaxKeyLen {
		return fmt.Errorf("sealed: namespace of %d bytes: %w", len(ns), storage.ErrInvalid)
	}
	if key == "" || len(key) > storage.MaxKeyLen {
		return fmt.Errorf("sealed: key of %d bytes: %w", len(key), storage.ErrInvalid)
	}
	return nil
}

// Get returns the value of key and its version.
func (m *Meta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	if err := check(ns, key); err != nil {
		return nil, 0, err
	}
	hns, hk := m.c.recordNS(ns), m.c.recordKey(ns, key)
	for try := 0; ; try++ {
		val, v, err := m.get(ctx, ns, key, hns, hk)
		// A head whose tail vanished was overwritten meanwhile: read again.
		if errors.Is(err, errTailGone) && try < 3 {
			continue
		}
		return val, v, err
	}
}

var errTailGone = errors.New("sealed: overflow record gone")

func (m *Meta) get(ctx context.Context, ns, key, hns, hk string) ([]byte, storage.Version, error) {
	raw, v, err := m.inner.Get(ctx, hns, hk)
	if err != nil {
		return nil, 0, err
	}
	flags, plain, err := m.c.open(raw, ad(0, ns, key, ""))
	if err != nil {
		return nil, 0, fmt.Errorf("sealed: %s: %w", hk, err)
	}
	switch flags {
	case flagInline:
		return plain, v, nil
	case flagOverflow:
		tail, err := m.tail(ctx, ns, key, hns, hk, plain)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, 0, fmt.Errorf("%w: %w", errTailGone, storage.ErrCorrupt)
		}
		if err != nil {
			return nil, 0, err
		}
		return append(plain[ridLen:], tail...), v, nil
	}
	return nil, 0, fmt.Errorf("sealed: %s: frame kind %#x: %w", hk, flags, storage.ErrCorrupt)
}

// Put stores val under key, honouring cond. Unless the write is guarded by
// a version (the key then exists and is indexed), the key enters the index
// first, so a crash leaves at most an index entry without a record; and is
// checked again after, in case a concurrent delete pruned it meanwhile. A
// key held by Reserve is already indexed and skips the first step.
func (m *Meta) Put(ctx context.Context, ns, key string, val []byte, cond storage.Cond) (storage.Version, error) {
	if err := check(ns, key); err != nil {
		return 0, err
	}
	if len(val) > storage.MaxValueLen {
		return 0, fmt.Errorf("sealed: value of %d bytes: %w", len(val), storage.ErrInvalid)
	}
	indexed := cond.IfVersion != 0
	if !indexed && !m.res.has(resKey(ns, key)) {
		if err := m.ix.change(ctx, ns, key, false); err != nil {
			return 0, err
		}
	}
	hns, hk := m.c.recordNS(ns), m.c.recordKey(ns, key)
	var v storage.Version
	var err error
	if len(val)+overhead <= storage.MaxValueLen {
		v, err = m.inner.Put(ctx, hns, hk, m.c.seal(flagInline, val, ad(0, ns, key, "")), cond)
	} else {
		v, err = m.putBig(ctx, ns, key, hns, hk, val, cond)
	}
	if err != nil || indexed {
		return v, err
	}
	ok, cerr := m.ix.contains(ctx, ns, key)
	if cerr == nil && !ok {
		cerr = m.ix.change(ctx, ns, key, false)
	}
	if cerr != nil {
		return v, fmt.Errorf("sealed: stored but not yet listable: %w", cerr)
	}
	return v, nil
}

// Delete removes key, honouring cond.IfVersion, then its index entry.
func (m *Meta) Delete(ctx context.Context, ns, key string, cond storage.Cond) error {
	if err := check(ns, key); err != nil {
		return err
	}
	hns, hk := m.c.recordNS(ns), m.c.recordKey(ns, key)
	var rid string
	// Only a value near the size limit has a tail; peek for it.
	if raw, _, err := m.inner.Get(ctx, hns, hk); err == nil && len(raw) > 0 && raw[0] == flagOverflow {
		if _, plain, err := m.c.open(raw, ad(0, ns, key, "")); err == nil && len(plain) >= ridLen {
			rid = string(plain[:ridLen])
		}
	}
	err := m.inner.Delete(ctx, hns, hk, cond)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if rid != "" {
		_ = m.inner.Delete(ctx, hns, tailKey(hk, rid), storage.Cond{})
	}
	// The record is gone (or never was: then this clears a stale entry).
	// A failed index update only leaves an entry List skips.
	_ = m.unindex(context.WithoutCancel(ctx), ns, hns, []string{key})
	return err
}

// unindex removes keys whose records are gone from the index, then puts
// back any that a concurrent Put recreated meanwhile (that Put may have
// found its key indexed before the removal).
func (m *Meta) unindex(ctx context.Context, ns, hns string, keys []string) error {
	for _, k := range keys {
		if err := m.ix.change(ctx, ns, k, true); err != nil {
			return err
		}
	}
	for _, k := range keys {
		// Anything but a clear "not found" keeps the key: a superset is safe.
		if _, _, err := m.inner.Get(ctx, hns, m.c.recordKey(ns, k)); !errors.Is(err, storage.ErrNotFound) {
			if err := m.ix.change(ctx, ns, k, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// List returns up to limit entries of ns with the prefix, after after, in
// byte order: it walks the index from the first candidate and reads the
// records of a page's worth of keys in parallel, skipping index entries
// whose record is gone.
func (m *Meta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	if ns == "" || len(ns) > storage.MaxKeyLen {
		return nil, fmt.Errorf("sealed: namespace of %d bytes: %w", len(ns), storage.ErrInvalid)
	}
	if limit <= 0 {
		return nil, ctx.Err()
	}
	seek := max(after, prefix)
	ixns, hns := m.c.indexNS(ns), m.c.recordNS(ns)
	_, l, _, err := m.ix.findLeaf(ctx, ns, ixns, seek)
	if errors.Is(err, errNoIndex) {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("sealed: list: %w", err)
	}
	var out []storage.Entry
	i := 0
	for i < len(l.keys) && l.keys[i] <= after || i < len(l.keys) && l.keys[i] < prefix {
		i++
	}
	for len(out) < limit {
		var cand []string
		done := false
		for ; i < len(l.keys) && len(cand) < limit-len(out); i++ {
			if !strings.HasPrefix(l.keys[i], prefix) {
				done = true // prefixed keys are contiguous
				break
			}
			cand = append(cand, l.keys[i])
		}
		if len(cand) > 0 {
			got, _, err := m.fetch(ctx, ns, hns, cand)
			if err != nil {
				return nil, fmt.Errorf("sealed: list: %w", err)
			}
			out = append(out, got...)
			continue
		}
		if done || l.next == "" {
			break
		}
		next := l.next
		if l, _, err = m.ix.getLeaf(ctx, ns, ixns, next); err != nil {
			return nil, fmt.Errorf("sealed: list: index leaf %s: %w", next, err)
		}
		i = 0
	}
	// Entries without a record are skipped, never pruned here: on a
	// quorum backend a write cut short by a crash can read as absent now
	// and reappear after a scrub's repair, and it must then still be
	// listed. Delete removes entries.
	return out, nil
}

// fetch reads the records of keys in parallel, in order; keys without a
// record come back in gone.
func (m *Meta) fetch(ctx context.Context, ns, hns string, keys []string) ([]storage.Entry, []string, error) {
	type res struct {
		val []byte
		v   storage.Version
		err error
	}
	rs := make([]res, len(keys))
	one := func(i int) {
		var r res
		for try := 0; try < 4; try++ {
			r.val, r.v, r.err = m.get(ctx, ns, keys[i], hns, m.c.recordKey(ns, keys[i]))
			if !errors.Is(r.err, errTailGone) {
				break
			}
		}
		rs[i] = r
	}
	if w := min(m.fetchers, len(keys)); w <= 1 {
		for i := range keys {
			one(i)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int, len(keys))
		for i := range keys {
			next <- i
		}
		close(next)
		for range w {
			wg.Go(func() {
				for i := range next {
					one(i)
				}
			})
		}
		wg.Wait()
	}
	out := make([]storage.Entry, 0, len(keys))
	var gone []string
	for i, r := range rs {
		switch {
		case errors.Is(r.err, storage.ErrNotFound):
			gone = append(gone, keys[i])
		case errors.Is(r.err, storage.ErrCorrupt):
			// As every backend does: one unreadable record must not stop
			// the listing of the others (Get still reports it).
			m.log.Warn("sealed: list skips unrecoverable metadata", "err", r.err)
		case r.err != nil:
			return nil, nil, fmt.Errorf("key %d of the page: %w", i, r.err)
		default:
			out = append(out, storage.Entry{Key: keys[i], Value: r.val, Version: r.v})
		}
	}
	return out, gone, nil
}

// Overflow: a value too large to seal within MaxValueLen keeps its head in
// the record and its tail in a second record named after a random id the
// head carries, written first (IfAbsent) so the head never names a missing
// tail except after an overwrite or delete, which Get retries.
const ridLen = 16

func tailKey(hk, rid string) string { return hk + "." + hex.EncodeToString([]byte(rid)) }

func (m *Meta) tail(ctx context.Context, ns, key, hns, hk string, head []byte) ([]byte, error) {
	if len(head) < ridLen {
		return nil, fmt.Errorf("sealed: %s: short head: %w", hk, storage.ErrCorrupt)
	}
	rid := string(head[:ridLen])
	raw, _, err := m.inner.Get(ctx, hns, tailKey(hk, rid))
	if err != nil {
		return nil, err
	}
	flags, plain, err := m.c.open(raw, ad(0, ns, key, "tail"+rid))
	if err != nil || flags != flagInline {
		return nil, fmt.Errorf("sealed: %s tail: %w", hk, storage.ErrCorrupt)
	}
	return plain, nil
}

func (m *Meta) putBig(ctx context.Context, ns, key, hns, hk string, val []byte, cond storage.Cond) (storage.Version, error) {
	var oldRid string
	if raw, _, err := m.inner.Get(ctx, hns, hk); err == nil && len(raw) > 0 && raw[0] == flagOverflow {
		if _, plain, err := m.c.open(raw, ad(0, ns, key, "")); err == nil && len(plain) >= ridLen {
			oldRid = string(plain[:ridLen])
		}
	}
	var b [ridLen]byte
	_, _ = crand.Read(b[:]) // documented never to fail since Go 1.24
	rid := string(b[:])
	cut := len(val) / 2
	tk := tailKey(hk, rid)
	if _, err := m.inner.Put(ctx, hns, tk, m.c.seal(flagInline, val[cut:], ad(0, ns, key, "tail"+rid)), storage.Cond{IfAbsent: true}); err != nil {
		return 0, err
	}
	head := append(append(make([]byte, 0, ridLen+cut), rid...), val[:cut]...)
	v, err := m.inner.Put(ctx, hns, hk, m.c.seal(flagOverflow, head, ad(0, ns, key, "")), cond)
	if err != nil {
		_ = m.inner.Delete(context.WithoutCancel(ctx), hns, tk, storage.Cond{})
		return 0, err
	}
	if oldRid != "" {
		_ = m.inner.Delete(context.WithoutCancel(ctx), hns, tailKey(hk, oldRid), storage.Cond{})
	}
	return v, nil
}

// StoredIndexName returns the namespace under which the index blocks of
// ns are stored in the wrapped store, for tools and tests that count what
// a namespace leaves behind.
func (m *Meta) StoredIndexName(ns string) string { return m.c.indexNS(ns) }

// DropEmptyIndex deletes the index of ns when ns holds no record, so a
// namespace that is used once and emptied (a multipart upload's parts)
// leaves nothing in the wrapped store: the index otherwise keeps a
// namespace's head leaf forever. It reports whether it dropped it. Only an
// index of one leaf (the head, never split) is dropped; a larger one, or one
// listing a key whose record exists, is left as it is (false, nil).
//
// It is safe against concurrent writers, in this process or another: the
// head is deleted only at the version read, so an insert that lands first
// makes the delete fail harmlessly, and an insert that comes after finds no
// head and writes a new one (as in a namespace never written). A Put of a
// key the head already listed (a reservation, a stale entry) changes no
// leaf, so after the delete every such key whose record now exists is
// indexed again, as unindex does: that Put either wrote its record before
// this check, or checks its own entry after its record write and finds it
// gone. The on-disk format is unchanged: a missing head is what a gateway
// of any version reads as a namespace never written.
func (m *Meta) DropEmptyIndex(ctx context.Context, ns string) (bool, error) {
	if ns == "" || len(ns) > storage.MaxKeyLen {
		return false, fmt.Errorf("sealed: namespace of %d bytes: %w", len(ns), storage.ErrInvalid)
	}
	ixns, hns := m.c.indexNS(ns), m.c.recordNS(ns)
	l, v, err := m.ix.getLeaf(ctx, ns, ixns, headID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sealed: drop index: %w", err)
	}
	if l.next != "" {
		return false, nil
	}
	for _, k := range l.keys {
		_, _, err := m.inner.Get(ctx, hns, m.c.recordKey(ns, k))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("sealed: drop index: %w", err)
		}
		return false, nil
	}
	err = m.inner.Delete(ctx, ixns, headID, storage.Cond{IfVersion: v})
	if errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrNotFound) {
		return false, nil // written (or dropped) meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("sealed: drop index: %w", err)
	}
	m.ix.forget(ixns)
	ctx = context.WithoutCancel(ctx)
	back := false
	for _, k := range l.keys {
		if _, _, err := m.inner.Get(ctx, hns, m.c.recordKey(ns, k)); !errors.Is(err, storage.ErrNotFound) {
			if err := m.ix.change(ctx, ns, k, false); err != nil {
				return false, fmt.Errorf("sealed: drop index: re-index: %w", err)
			}
			back = true
		}
	}
	return !back, nil
}
