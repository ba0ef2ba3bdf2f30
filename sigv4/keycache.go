package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"strings"
	"sync"
)

// deriveKey computes the SigV4 signing key
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), "s3"), "aws4_request").
func deriveKey(secret, date, region string) [32]byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k[:], region)
	k = hmacSum(k[:], service)
	k = hmacSum(k[:], terminator)
	return k
}

// hmacSum is one HMAC-SHA256 step of the key derivation.
func hmacSum(key []byte, msg string) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// keyID names one derived key.
type keyID struct{ accessKey, date, region string }

// keyEntry is one cached signing key plus a pool of HMAC states keyed with
// it, so verifying a request or a chunk allocates no HMAC.
type keyEntry struct {
	secret string // compared on every hit so a rotated secret is noticed
	key    [32]byte
	macs   sync.Pool
}

// newKeyEntry derives the key for id and prepares its HMAC pool.
func newKeyEntry(secret string, id keyID) *keyEntry {
	e := &keyEntry{secret: secret, key: deriveKey(secret, id.date, id.region)}
	e.macs.New = func() any { return hmac.New(sha256.New, e.key[:]) }
	return e
}

// mac returns a reset HMAC keyed with the signing key; give it back with put.
func (e *keyEntry) mac() hash.Hash {
	m := e.macs.Get().(hash.Hash)
	m.Reset()
	return m
}

// put returns an HMAC state obtained from mac.
func (e *keyEntry) put(m hash.Hash) { e.macs.Put(m) }

// sign computes HMAC(signing key, msg) into out.
func (e *keyEntry) sign(out *[32]byte, msg []byte) {
	m := e.mac()
	m.Write(msg)
	m.Sum(out[:0])
	e.put(m)
}

// keyCache is a small bounded map of derived keys. Keys change once a day per
// access key, so the working set is tiny; when full, an arbitrary entry is
// dropped (Go's map iteration order is unspecified, which is good enough).
type keyCache struct {
	mu  sync.RWMutex
	max int
	m   map[keyID]*keyEntry
}

// newKeyCache returns an empty cache holding at most max entries.
func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, m: make(map[keyID]*keyEntry)}
}

// get returns the entry for id, deriving and caching it on a miss or when
// the secret has changed since it was cached.
func (c *keyCache) get(id keyID, secret string) *keyEntry {
	c.mu.RLock()
	e := c.m[id]
	c.mu.RUnlock()
	// Both secrets come from the server's own store, so a plain comparison
	// leaks nothing an attacker controls.
	if e != nil && e.secret == secret {
		return e
	}
	// The id's strings may be slices of a large header; keep copies only.
	id = keyID{strings.Clone(id.accessKey), strings.Clone(id.date), strings.Clone(id.region)}
	e = newKeyEntry(secret, id)
	c.mu.Lock()
	if len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = e
	c.mu.Unlock()
	return e
}

// len reports the number of cached keys (tests).
func (c *keyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
