package server

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// failLimiter bounds failed unseal authentications per client address
// while sealed, as the S3 server's limiter does once serving: a client
// that fails max times within window is answered 503 until the window
// has passed. The table is bounded; when full it starts over, which can
// only give clients more tries, never lock out one that never failed.
type failLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[netip.Addr]failCount
}

// failCount is one client's failures since start.
type failCount struct {
	n     int
	start time.Time
}

// maxTrackedClients bounds the limiter's memory.
const maxTrackedClients = 10000

func newFailLimiter(max int, window time.Duration) *failLimiter {
	return &failLimiter{max: max, window: window, now: time.Now, fails: make(map[netip.Addr]failCount)}
}

// clientAddr is the address a remote "host:port" limits on (IPv6 by /64).
func clientAddr(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		host, _, _ := net.SplitHostPort(remote)
		a, _ := netip.ParseAddr(host)
		return a
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a
}

// blocked reports whether remote has used up its failures.
func (l *failLimiter) blocked(remote string) bool {
	if l.max <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.fails[clientAddr(remote)]
	return ok && c.n >= l.max && l.now().Sub(c.start) < l.window
}

// fail records a failed authentication from remote.
func (l *failLimiter) fail(remote string) {
	if l.max <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a, now := clientAddr(remote), l.now()
	c, ok := l.fails[a]
	if !ok || now.Sub(c.start) >= l.window {
		if !ok && len(l.fails) >= maxTrackedClients {
			clear(l.fails)
		}
		c = failCount{start: now}
	}
	c.n++
	l.fails[a] = c
}
