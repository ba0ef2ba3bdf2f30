package s3api

import (
	"sync"
	"time"
)

// CORS configurations are read for every preflight and every request that
// carries Origin, most of them unauthenticated: without a cache each would
// cost Meta reads (network round trips on RADOS) that anyone can trigger.
// Entries, including "no configuration", live corsTTL; a PUT or DELETE of
// ?cors on this gateway drops its entry at once, others' within corsTTL.
const (
	corsTTL        = 5 * time.Second
	corsMaxEntries = 4096
)

type corsEntry struct {
	cfg *corsConfiguration // nil: the bucket has none (or does not exist)
	at  time.Time
}

// corsCache is a small TTL cache of parsed CORS configurations by bucket.
type corsCache struct {
	mu sync.Mutex
	m  map[string]corsEntry
}

func newCORSCache() *corsCache { return &corsCache{m: make(map[string]corsEntry)} }

// get returns a fresh entry for bucket.
func (c *corsCache) get(bucket string, now time.Time) (*corsConfiguration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[bucket]
	if !ok || now.Sub(e.at) >= corsTTL {
		return nil, false
	}
	return e.cfg, true
}

// put records cfg for bucket; a full cache starts over rather than grow
// (names are attacker-chosen, so the bound matters more than the hit rate).
func (c *corsCache) put(bucket string, cfg *corsConfiguration, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= corsMaxEntries {
		clear(c.m)
	}
	c.m[bucket] = corsEntry{cfg: cfg, at: now}
}

// drop forgets bucket (its configuration changed here).
func (c *corsCache) drop(bucket string) {
	c.mu.Lock()
	delete(c.m, bucket)
	c.mu.Unlock()
}
