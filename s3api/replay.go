package s3api

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// DefaultReplayCacheSize bounds the replay cache: at about 60 bytes an
// entry, 1 Mi signatures cost some 60 MiB and cover the whole 10-minute
// window (a signature stays acceptable from X-Amz-Date − 5 min to
// X-Amz-Date + 5 min) at up to ~1,700 state-changing requests a second.
// The memory is taken as signatures arrive, not up front: a gateway that
// sees few writes keeps a small cache (preallocating the bound cost every
// server some 130 MiB of heap, half its RSS during a bulk upload).
const DefaultReplayCacheSize = 1 << 20

// replayMinRing is a shard ring's first size; it doubles up to the bound.
const replayMinRing = 16

// replayShards spreads the cache's lock; a power of two.
const replayShards = 64

// replayCache remembers the signatures of recently accepted state-changing
// requests, so that an exact copy of one (same signature: same method,
// path, query, signed headers, payload hash, X-Amz-Date and key) is
// refused while its date would still pass the clock-skew check. SDK
// retries are not replays: aws-sdk-go-v2 and botocore sign every attempt
// anew with a fresh date, and aws-sdk-go-v2 signs its attempt header; a
// request that did not succeed is forgotten (replayDone), so resending
// it unchanged always works.
//
// Each shard is a FIFO of entries in arrival order plus a map; expiry
// follows arrival closely enough (it is the request's own date + skew)
// that the oldest entry is the first to expire. A full shard drops its
// oldest live entry and counts it (Evicted): the cache is bounded, and a
// replay of an evicted signature is then only stopped by the clock
// window. Lookups and inserts allocate nothing in steady state (once a
// shard's ring and map have grown to the traffic or to the bound).
type replayCache struct {
	skew    time.Duration
	shards  [replayShards]replayShard
	evicted atomic.Uint64
}

type replayShard struct {
	mu   sync.Mutex
	seen map[[32]byte]int64 // signature → expiry (unix nanoseconds)
	ring [][32]byte         // arrival order; grows by doubling up to max
	max  int                // the shard's bound
	head int                // oldest entry
	n    int                // entries in ring
}

// newReplayCache returns a cache of about size entries for signatures
// accepted within skew of their date; size ≤ 0 takes the default.
func newReplayCache(size int, skew time.Duration) *replayCache {
	if size <= 0 {
		size = DefaultReplayCacheSize
	}
	per := max(size/replayShards, 16)
	c := &replayCache{skew: skew}
	for i := range c.shards {
		c.shards[i].seen = make(map[[32]byte]int64)
		c.shards[i].max = per
	}
	return c
}

// shard picks a shard from the signature's first byte (an HMAC output,
// uniformly distributed).
func (c *replayCache) shard(sig *[32]byte) *replayShard {
	return &c.shards[int(sig[0])%replayShards]
}

// admit records sig, signed at signedAt, and reports whether it was new:
// false means an identical request was accepted before and is still
// inside the window.
func (c *replayCache) admit(sig [32]byte, signedAt, now time.Time) bool {
	exp := signedAt.Add(c.skew).UnixNano()
	nowN := now.UnixNano()
	sh := c.shard(&sig)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.seen[sig]; ok && e >= nowN {
		return false
	}
	sh.expire(nowN)
	switch {
	case sh.n < len(sh.ring):
	case len(sh.ring) < sh.max:
		sh.grow()
	default:
		sh.dropOldest()
		c.evicted.Add(1)
	}
	sh.seen[sig] = exp
	sh.ring[(sh.head+sh.n)%len(sh.ring)] = sig
	sh.n++
	return true
}

// seen reports whether sig is in the cache and unexpired (the
// 100-continue check, which must not record anything).
func (c *replayCache) seen(sig [32]byte, now time.Time) bool {
	sh := c.shard(&sig)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.seen[sig]
	return ok && e >= now.UnixNano()
}

// forget removes sig: the request it admitted failed without changing
// anything (a 5xx, or the client went away), so an honest client's
// resend of the very same bytes must not be refused. Its ring slot stays
// until it ages out.
func (c *replayCache) forget(sig [32]byte) {
	sh := c.shard(&sig)
	sh.mu.Lock()
	delete(sh.seen, sig)
	sh.mu.Unlock()
}

// expire drops entries from the front of the ring whose expiry passed.
func (sh *replayShard) expire(now int64) {
	for sh.n > 0 {
		sig := sh.ring[sh.head]
		if e, ok := sh.seen[sig]; ok && e >= now {
			return
		}
		sh.dropOldest()
	}
}

// grow doubles the ring (up to max), keeping its entries in order.
func (sh *replayShard) grow() {
	r := make([][32]byte, min(max(2*len(sh.ring), replayMinRing), sh.max))
	for i := range sh.n {
		r[i] = sh.ring[(sh.head+i)%len(sh.ring)]
	}
	sh.ring, sh.head = r, 0
}

// dropOldest removes the ring's front entry. A signature forgotten and
// admitted again has two slots but one map entry with the same expiry, so
// dropping either slot's entry early only matters under eviction, which
// is lossy by design.
func (sh *replayShard) dropOldest() {
	delete(sh.seen, sh.ring[sh.head])
	sh.head = (sh.head + 1) % len(sh.ring)
	sh.n--
}

// replayChecked reports whether r is a request the replay cache guards:
// a signed (not presigned) request that may change state, that is any
// method other than GET and HEAD, admin calls included. Reads are not
// guarded: a script polling an admin status or an object twice in one
// second sends the same signature twice, and a replayed read changes
// nothing. Presigned URLs are exempt (docs/SECURITY.md): the holder of
// one cannot re-sign it, so every honest retry is an exact copy; what
// bounds them is X-Amz-Expires.
//
// CompleteMultipartUpload (POST with uploadId) is exempt too: S3 makes a
// repeated Complete answer the object it made, which clients rely on
// (they resend it after a lost answer, botocore with the same
// signature), and a replayed one cannot change anything, since the upload
// it names no longer exists once completed.
func (s *Server) replayChecked(r *request, id *sigv4.Identity) bool {
	if s.replay == nil || id == nil || id.Anonymous || id.Presigned {
		return false
	}
	if r.method == http.MethodPost {
		if _, ok := r.query("uploadId"); ok {
			return false
		}
	}
	return r.method != http.MethodGet && r.method != http.MethodHead
}

// refuseReplay answers a replayed request: the same bare 403 as any
// other authentication failure (counted by the limiter), and
// "deny:replay" in the audit log.
func (s *Server) refuseReplay(r *request, att *authAttempt) string {
	r.replayed = true
	att.fail(r, s3err.AccessDenied)
	s.log.Warn("s3api: replayed request refused", "id", r.id, "access_key", r.ident.AccessKey,
		"method", r.method, "path", r.rawPath, "signed_at", r.ident.SignedAt)
	r.writeError(s3err.Newf(s3err.AccessDenied, "This request was already received; sign it again to resend it."))
	return "Replay"
}

// replayDone forgets the signature of an admitted request that did not
// succeed (any status from 300 up, or a body the client never finished):
// only a request that changed something is worth refusing again, and
// clients resend refused requests unchanged — botocore does not sign its
// amz-sdk-invocation-id, so the same call made twice within one second
// (a delete refused by a policy, retried once the policy is gone) has
// the same signature. The cost: a captured request that failed may be
// replayed inside the window and succeed if the state that refused it
// changed (docs/SECURITY.md).
func (s *Server) replayDone(r *request, status int) {
	if !r.replay {
		return
	}
	if status >= 300 || r.errCode != "" {
		s.replay.forget(r.ident.Signature)
	}
}
