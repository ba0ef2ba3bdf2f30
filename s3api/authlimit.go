package s3api

import (
	"hash/maphash"
	"math"
	"net/netip"
	"sync"
	"time"
)

// Defaults of the failed-authentication limiter (Options.AuthFail*).
const (
	// DefaultAuthFailBurst is how many failed authentications a client may
	// make in a row before it is answered 503 SlowDown.
	DefaultAuthFailBurst = 20
	// DefaultAuthFailRate is how many failures per second a client earns
	// back: the sustained guessing rate once the burst is spent.
	DefaultAuthFailRate = 1.0
	// DefaultAuthFailClients bounds how many clients the limiter tracks at
	// once (about 64 B each), so a flood of source addresses cannot grow it.
	DefaultAuthFailClients = 1 << 16
)

// limiterShards splits the tracker so concurrent requests from different
// clients rarely wait on one lock.
const limiterShards = 16

// evictSample is how many entries a full shard looks at to pick a victim.
const evictSample = 8

// authLimiter is a token bucket per client for failed authentications:
// each failure spends a token, tokens come back at rate per second up to
// burst, and a client with no token left is refused before its signature is
// checked. Only clients with a debt are tracked; a bucket that refills to
// burst is the same as no entry and is dropped. The tracker has a fixed
// capacity: a new client arriving at a full shard evicts, of a few sampled
// entries, the one closest to full, so a flood of new addresses displaces
// mostly harmless entries rather than the clients already being throttled.
type authLimiter struct {
	burst, rate float64
	perShard    int
	now         func() time.Time
	seed        maphash.Seed
	shards      [limiterShards]limiterShard
}

// limiterShard is one lock's share of the tracked clients.
type limiterShard struct {
	mu sync.Mutex
	m  map[netip.Addr]tokenBucket
}

// tokenBucket is one client's state: tokens left as of at (unix ns).
// flagged marks a bucket whose last token is spent, so the client is
// reported once per episode of throttling rather than once per refill.
type tokenBucket struct {
	tokens  float64
	at      int64
	flagged bool
}

// newAuthLimiter returns a limiter, or nil (no limit) when burst < 0.
// Zero values take the defaults.
func newAuthLimiter(burst int, rate float64, clients int, now func() time.Time) *authLimiter {
	if burst < 0 {
		return nil
	}
	if burst == 0 {
		burst = DefaultAuthFailBurst
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		rate = DefaultAuthFailRate
	}
	if clients <= 0 {
		clients = DefaultAuthFailClients
	}
	l := &authLimiter{
		burst:    float64(burst),
		rate:     rate,
		perShard: max(1, clients/limiterShards),
		now:      now,
		seed:     maphash.MakeSeed(),
	}
	for i := range l.shards {
		l.shards[i].m = make(map[netip.Addr]tokenBucket)
	}
	return l
}

// shard returns the shard that tracks client c.
func (l *authLimiter) shard(c netip.Addr) *limiterShard {
	return &l.shards[maphash.Comparable(l.seed, c)%limiterShards]
}

// refill brings b up to date at now; a bucket back to full ends its
// episode of throttling.
func (l *authLimiter) refill(b tokenBucket, now int64) tokenBucket {
	if d := now - b.at; d > 0 {
		b.tokens = min(l.burst, b.tokens+l.rate*float64(d)/float64(time.Second))
		b.at = now
	}
	if b.tokens >= l.burst {
		b.flagged = false
	}
	return b
}

// current returns c's bucket brought up to date at now, or a full one when
// c is not tracked; tracked says which, for store. sh must be c's shard,
// locked by the caller.
func (l *authLimiter) current(sh *limiterShard, c netip.Addr, now int64) (b tokenBucket, tracked bool) {
	b, tracked = sh.m[c]
	if tracked {
		return l.refill(b, now), true
	}
	return tokenBucket{tokens: l.burst, at: now}, false
}

// spend takes one token from b (never below zero) and reports whether that
// was the last whole one of an episode not reported yet.
func spend(b tokenBucket) (tokenBucket, bool) {
	b.tokens = max(0, b.tokens-1)
	first := b.tokens < 1 && !b.flagged
	if b.tokens < 1 {
		b.flagged = true
	}
	return b, first
}

// reserve takes a token for an authentication attempt by c. It reports
// false, and how long until a token is back, when c has none: the request
// must then be refused without being checked. A reserved token is spent if
// the attempt fails and handed back with refund if it succeeds, so
// concurrent guesses cannot outrun the limit. last reports that this
// reservation took the client's last token (for the log, should it fail).
func (l *authLimiter) reserve(c netip.Addr) (ok bool, retry time.Duration, last bool) {
	now := l.now().UnixNano()
	sh := l.shard(c)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, tracked := l.current(sh, c, now)
	if b.tokens < 1 {
		sh.m[c] = b
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
	}
	b, last = spend(b)
	l.store(sh, c, b, tracked)
	return true, 0, last
}

// refund hands back the token a successful attempt reserved.
func (l *authLimiter) refund(c netip.Addr) {
	now := l.now().UnixNano()
	sh := l.shard(c)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, tracked := sh.m[c]
	if !tracked {
		return // evicted meanwhile: nothing owed
	}
	b = l.refill(b, now)
	b.tokens = min(l.burst, b.tokens+1)
	if b.tokens >= 1 {
		b.flagged = false // the episode did not happen: the attempt succeeded
	}
	if b.tokens >= l.burst {
		delete(sh.m, c)
		return
	}
	sh.m[c] = b
}

// charge spends a token for a failure that was not reserved (a request
// exempt from the check, see authGate), never going below zero; last is as
// for reserve.
func (l *authLimiter) charge(c netip.Addr) (last bool) {
	now := l.now().UnixNano()
	sh := l.shard(c)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, tracked := l.current(sh, c, now)
	b, last = spend(b)
	l.store(sh, c, b, tracked)
	return last
}

// store saves b for c, evicting another entry first when c is new and the
// shard is full. Caller holds sh.mu.
func (l *authLimiter) store(sh *limiterShard, c netip.Addr, b tokenBucket, tracked bool) {
	if !tracked && len(sh.m) >= l.perShard {
		l.evict(sh, b.at)
	}
	sh.m[c] = b
}

// evict drops, of up to evictSample entries (Go's map iteration starts at a
// random place), the one with the most tokens at now: the least throttled,
// whose loss forgives the least. Caller holds sh.mu.
func (l *authLimiter) evict(sh *limiterShard, now int64) {
	var victim netip.Addr
	best, seen := -1.0, 0
	for c, b := range sh.m {
		if t := l.refill(b, now).tokens; t > best {
			victim, best = c, t
		}
		if seen++; seen == evictSample {
			break
		}
	}
	if best >= 0 {
		delete(sh.m, victim)
	}
}
