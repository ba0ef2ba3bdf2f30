package policy

import (
	"encoding/binary"
	"sync"
)

// DefaultCacheEntries is the cache size NewCache uses for a non-positive
// argument.
const DefaultCacheEntries = 1 << 16

// Cache memoises decisions so the request path pays for a map lookup, not
// an evaluation. An entry is keyed by everything a decision can depend on:
// each policy's name and document hash (so an edited policy never answers
// from the old one), the principal, action, resource and resource owner,
// and the values of exactly the condition keys the policies read (so a
// policy with no conditions caches per principal/action/resource, and one
// reading aws:SourceIp per address). It holds at most its size in
// entries: two generations, the older dropped when the newer fills. Safe
// for concurrent use.
type Cache struct {
	mu       sync.Mutex
	half     int
	cur, old map[string]Decision
	hits     uint64
	misses   uint64
}

// NewCache returns a cache of at most maxEntries decisions.
func NewCache(maxEntries int) *Cache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	half := max(maxEntries/2, 1)
	return &Cache{half: half, cur: make(map[string]Decision, half)}
}

// Len returns the number of decisions held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

// Stats returns the lookups answered from the cache and those evaluated.
func (c *Cache) Stats() (hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

func (c *Cache) evaluate(ec *evalCtx, identity []*Policy, bucket *Policy) Decision {
	var stack [512]byte
	key := cacheKey(stack[:0], ec, identity, bucket)
	c.mu.Lock()
	d, ok := c.cur[string(key)]
	if !ok {
		if d, ok = c.old[string(key)]; ok {
			c.putLocked(string(key), d)
		}
	}
	if ok {
		c.hits++
		c.mu.Unlock()
		return d
	}
	c.misses++
	c.mu.Unlock()
	d = evaluate(ec, identity, bucket)
	c.mu.Lock()
	c.putLocked(string(key), d)
	c.mu.Unlock()
	return d
}

func (c *Cache) putLocked(k string, d Decision) {
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[string]Decision, c.half)
	}
	c.cur[k] = d
}

// cacheKey encodes every input of a decision, each field length-prefixed
// so no two different inputs share a key.
func cacheKey(b []byte, ec *evalCtx, identity []*Policy, bucket *Policy) []byte {
	r := ec.req
	b = appendField(b, r.Principal.ARN)
	b = appendField(b, ec.account)
	b = appendField(b, r.Principal.UserID)
	if r.Principal.Anonymous {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendField(b, r.Action)
	b = appendField(b, r.Resource)
	b = appendField(b, r.ResourceAccount)
	b = binary.AppendUvarint(b, uint64(len(identity)))
	for _, p := range identity {
		b = appendPolicy(b, ec, p)
	}
	return appendPolicy(b, ec, bucket)
}

func appendPolicy(b []byte, ec *evalCtx, p *Policy) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = appendField(b, p.Name)
	b = append(b, p.hash[:]...)
	for _, k := range p.keys {
		vals := ec.get(k)
		b = appendField(b, k)
		b = binary.AppendUvarint(b, uint64(len(vals)))
		for _, v := range vals {
			b = appendField(b, v)
		}
	}
	return b
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
