//go:build ceph

package rados

import (
	"context"
	"fmt"
	"sync"

	"github.com/ceph/go-ceph/rados"

	"github.com/tasmaniancloud/rustfs/storage"
)

// maxPage bounds the omap entries asked of one shard in one read.
const maxPage = 1000

// cursor walks one shard object of a namespace in omap (= key) order.
type cursor struct {
	oid    string
	filter string // omap key prefix of the listing
	last   string // omap key to continue after
	buf    []storage.Entry
	pos    int
	more   bool // the shard may hold further matching keys
	fresh  bool // not read yet
}

// head returns the cursor's next entry, nil when its buffer is used up.
func (c *cursor) head() *storage.Entry {
	if c.pos < len(c.buf) {
		return &c.buf[c.pos]
	}
	return nil
}

// List merges the shards of ns: every shard returns its keys in byte order
// (omap is ordered, and the key escaping preserves order), so a k-way merge
// of the shards' pages is the namespace in byte order. Shards are read in
// parallel; a shard is read again only when its page is used up before the
// listing is complete.
func (m *Meta) List(ctx context.Context, ns, prefix, after string, limit int) ([]storage.Entry, error) {
	if err := validateNS(ns); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	filter := omapKey(dataPrefix, prefix)
	start := omapKey(dataPrefix, after)
	cs := make([]cursor, m.shards)
	for i := range cs {
		cs[i] = cursor{oid: shardOID(ns, i), filter: filter, last: start, fresh: true}
	}
	// The first round asks each shard for about twice its share of the page.
	page := min(limit, maxPage, 2*limit/m.shards+8)

	out := make([]storage.Entry, 0, min(limit, maxPage))
	for len(out) < limit {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := m.refill(cs, page); err != nil {
			return nil, fmt.Errorf("rados: list %s: %w", ns, err)
		}
		page = min(limit-len(out), maxPage)
		// Take entries while no cursor needs a refill: an exhausted cursor
		// with more keys might hold the next smallest key.
		for len(out) < limit {
			best := -1
			stalled := false
			for i := range cs {
				h := cs[i].head()
				if h == nil {
					if cs[i].more {
						stalled = true
						break
					}
					continue
				}
				if best < 0 || h.Key < cs[best].head().Key {
					best = i
				}
			}
			if stalled {
				break
			}
			if best < 0 {
				return out, nil
			}
			out = append(out, *cs[best].head())
			cs[best].pos++
		}
		if !hasWork(cs) {
			break
		}
	}
	return out, nil
}

// hasWork reports whether a cursor still has buffered or unread entries.
func hasWork(cs []cursor) bool {
	for i := range cs {
		if cs[i].head() != nil || cs[i].more {
			return true
		}
	}
	return false
}

// refill reads the next page of every cursor that is used up but not
// finished, in parallel.
func (m *Meta) refill(cs []cursor, page int) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i := range cs {
		c := &cs[i]
		if !(c.fresh || (c.head() == nil && c.more)) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.readPage(c, page); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// readPage replaces c's buffer with up to n entries after c.last that start
// with c.filter. A missing shard object is an empty shard.
func (m *Meta) readPage(c *cursor, n int) error {
	c.fresh, c.buf, c.pos, c.more = false, c.buf[:0], 0, false
	op := rados.CreateReadOp()
	defer op.Release()
	step := op.GetOmapValues(c.last, c.filter, uint64(n))
	if err := op.Operate(m.io, c.oid, rados.OperationNoFlag); err != nil {
		if isErrno(err, enoent) {
			return nil
		}
		return fmt.Errorf("%s: %w", c.oid, classify(err))
	}
	for {
		kv, err := step.Next()
		if err != nil {
			return fmt.Errorf("%s: %w", c.oid, classify(err))
		}
		if kv == nil {
			break
		}
		c.last = kv.Key
		key, ok := unescapeKey(kv.Key[1:])
		if !ok {
			return fmt.Errorf("%s: omap key %q: %w", c.oid, kv.Key, errCorrupt)
		}
		val, v, err := decodeValue(kv.Value)
		if err != nil {
			return fmt.Errorf("%s: key %q: %w", c.oid, key, err)
		}
		c.buf = append(c.buf, storage.Entry{Key: key, Value: val, Version: storage.Version(v)})
	}
	c.more = step.More()
	return nil
}
