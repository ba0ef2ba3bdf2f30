package kdf

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cloudflare/circl/kem/xwing"
	"github.com/dgraph-io/ristretto/v2"
)

// Kinds of cache entries; each kind also has its own id label, so ids of
// different kinds never coincide.
const (
	kindCustomer = iota + 1
	kindDataKey
	kindVerified
)

// Cache id labels (domain separation of the SHA-256 cache ids).
const (
	cacheLabelCustomer = "rustfs/v1/cache/customer"
	cacheLabelDataKey  = "rustfs/v1/cache/data-key"
	cacheLabelKMS      = "rustfs/v1/cache/kms"
	cacheLabelVerified = "rustfs/v1/cache/manifest"
)

// cacheEntry is one cached value. Readers copy secrets out under mu and
// treat a dead entry as a miss, so zeroisation on eviction can never hand a
// half-cleared key to a concurrent reader.
type cacheEntry struct {
	id   [32]byte // full id; ristretto keys on 64 bits, we compare all 256
	kind uint8

	mu     sync.RWMutex
	dead   bool
	secret [64]byte         // customer: CK ‖ KEM seed; data key: K_data ‖ zeros
	pk     *xwing.PublicKey // customer only (public, not zeroised)
}

// Approximate in-memory costs charged to the byte budget.
var (
	entryCost    = int64(unsafe.Sizeof(cacheEntry{}))
	customerCost = entryCost + int64(unsafe.Sizeof(xwing.PublicKey{}))
)

// destroy zeroes the secrets and marks the entry dead.
func (e *cacheEntry) destroy() {
	if e == nil {
		return
	}
	e.mu.Lock()
	clear(e.secret[:])
	e.pk = nil
	e.dead = true
	e.mu.Unlock()
}

// keyCache is a byte-bounded, TTL-bounded cache of secrets and verification
// results, backed by ristretto. A nil *keyCache caches nothing.
type keyCache struct {
	c   *ristretto.Cache[uint64, *cacheEntry]
	ttl time.Duration
	// hits and misses count lookups, for CacheStats.
	hits, misses atomic.Uint64
}

// newKeyCache returns nil (caching off) for maxBytes < 0.
func newKeyCache(maxBytes int64, ttl time.Duration) (*keyCache, error) {
	if maxBytes < 0 {
		return nil, nil
	}
	// Ristretto wants ~10 counters per cached item (≈3 bytes each). The
	// byte budget fits far more small entries than any realistic hot set,
	// so the counters are capped at 1Mi (≈3 MiB): accurate admission for
	// ~100k hot keys without allocating tens of MiB per Service.
	counters := min(max(maxBytes/entryCost*10, 1000), 1<<20)
	c, err := ristretto.NewCache(&ristretto.Config[uint64, *cacheEntry]{
		NumCounters: counters,
		MaxCost:     maxBytes,
		BufferItems: 64,
		// OnExit runs for evictions, expiries, rejections, replacements,
		// deletions and Clear: every way a value leaves the cache.
		OnExit: func(e *cacheEntry) { e.destroy() },
	})
	if err != nil {
		return nil, fmt.Errorf("kdf: cache: %w", err)
	}
	return &keyCache{c: c, ttl: ttl}, nil
}

// cacheKey maps a 256-bit id to ristretto's 64-bit key; collisions are
// resolved by comparing the full id on lookup.
func cacheKey(id *[32]byte) uint64 { return binary.LittleEndian.Uint64(id[:8]) }

// get returns the live entry with this id and kind, or nil.
func (kc *keyCache) get(id *[32]byte, kind uint8) *cacheEntry {
	if kc == nil {
		return nil
	}
	e, ok := kc.c.Get(cacheKey(id))
	if !ok || e == nil || e.kind != kind || e.id != *id {
		kc.misses.Add(1)
		return nil
	}
	kc.hits.Add(1)
	return e
}

// put inserts e (which must be new: re-inserting the same pointer would
// destroy it through OnExit). It may be dropped under contention.
func (kc *keyCache) put(e *cacheEntry, cost int64) {
	if kc == nil {
		e.destroy()
		return
	}
	kc.c.SetWithTTL(cacheKey(&e.id), e, cost, kc.ttl)
}

// wait blocks until buffered puts are applied (tests and benchmarks).
func (kc *keyCache) wait() {
	if kc != nil {
		kc.c.Wait()
	}
}

// close zeroes every entry and stops the cache's goroutines.
func (kc *keyCache) close() {
	if kc == nil {
		return
	}
	kc.c.Wait()
	kc.c.Clear() // runs OnExit for every stored value
	kc.c.Close()
}

// cacheID hashes a label and parts into a cache id.
func cacheID(label string, parts ...[]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(label))
	for _, p := range parts {
		h.Write(p)
	}
	var id [32]byte
	h.Sum(id[:0])
	return id
}
