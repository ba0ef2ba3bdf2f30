package s3api

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is an injectable clock for the limiter: time moves only when
// a test says so.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(testNow.UnixNano())
	return c
}

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// trackedClients returns how many clients l holds state for.
func trackedClients(l *authLimiter) int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

var (
	ipA = netip.MustParseAddr("192.0.2.1")
	ipB = netip.MustParseAddr("192.0.2.2")
)

func TestAuthLimiterTokenBucket(t *testing.T) {
	clk := newFakeClock()
	l := newAuthLimiter(3, 1, 0, clk.now)
	for i := 0; i < 3; i++ {
		ok, _, last := l.reserve(ipA) // each attempt fails: the token stays spent
		if !ok || last != (i == 2) {
			t.Fatalf("attempt %d: ok=%v last=%v", i+1, ok, last)
		}
	}
	ok, retry, _ := l.reserve(ipA)
	if ok || retry != time.Second {
		t.Fatalf("over the limit: ok=%v retry=%v, want refused for 1s", ok, retry)
	}
	if ok, _, _ := l.reserve(ipB); !ok {
		t.Fatal("another client is throttled too")
	}
	l.refund(ipB)
	clk.advance(500 * time.Millisecond)
	if ok, retry, _ := l.reserve(ipA); ok || retry != 500*time.Millisecond {
		t.Fatalf("half a token: ok=%v retry=%v", ok, retry)
	}
	clk.advance(500 * time.Millisecond)
	ok, _, last := l.reserve(ipA)
	if !ok || last {
		t.Fatalf("refilled token: ok=%v last=%v (the episode was reported already)", ok, last)
	}
	if ok, _, _ := l.reserve(ipA); ok {
		t.Fatal("one token refilled, two spent")
	}
	// Back to full: the episode is over and the client is forgotten.
	clk.advance(time.Hour)
	for i := 0; i < 100; i++ {
		if ok, _, _ := l.reserve(ipA); !ok {
			t.Fatalf("successful attempt %d throttled", i)
		}
		l.refund(ipA) // success: never slowed, never counted
	}
	if n := trackedClients(l); n != 0 {
		t.Fatalf("%d clients tracked after only successes", n)
	}
	for i := 0; i < 3; i++ {
		if last := l.charge(ipA); last != (i == 2) {
			t.Fatalf("charge %d: last=%v", i+1, last)
		}
	}
	if ok, _, _ := l.reserve(ipA); ok {
		t.Fatal("charged failures did not count")
	}
	if l.charge(ipA) {
		t.Fatal("charging an empty bucket reported a new episode")
	}
}

// TestAuthLimiterConcurrent: concurrent attempts cannot outrun the burst,
// because each reserves its token before its signature is checked.
func TestAuthLimiterConcurrent(t *testing.T) {
	l := newAuthLimiter(20, 1, 0, newFakeClock().now)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _, _ := l.reserve(ipA); ok {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := admitted.Load(); n != 20 {
		t.Fatalf("%d concurrent attempts admitted, want the burst of 20", n)
	}
}

// TestAuthLimiterBounded: a flood of distinct addresses never grows the
// tracker past its capacity, and the clients already throttled stay
// throttled (eviction takes the least throttled entries).
func TestAuthLimiterBounded(t *testing.T) {
	clk := newFakeClock()
	const capacity = 64
	l := newAuthLimiter(5, 1, capacity, clk.now)
	for i := 0; i < 5; i++ {
		l.charge(ipA)
	}
	for i := 0; i < 20000; i++ {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.charge(ip)
		if i%1000 == 0 {
			if n := trackedClients(l); n > capacity {
				t.Fatalf("after %d clients: %d tracked, capacity %d", i+1, n, capacity)
			}
		}
	}
	if n := trackedClients(l); n > capacity {
		t.Fatalf("%d tracked, capacity %d", n, capacity)
	}
	if ok, _, _ := l.reserve(ipA); ok {
		t.Fatal("the throttled client was evicted by the flood")
	}
}

func TestAuthLimiterDefaults(t *testing.T) {
	if newAuthLimiter(-1, 1, 0, time.Now) != nil {
		t.Fatal("negative burst must disable the limiter")
	}
	l := newAuthLimiter(0, 0, 0, time.Now)
	if l.burst != DefaultAuthFailBurst || l.rate != DefaultAuthFailRate || l.perShard*limiterShards != DefaultAuthFailClients {
		t.Fatalf("defaults: burst %v rate %v capacity %d", l.burst, l.rate, l.perShard*limiterShards)
	}
	if newAuthGate(&Options{AuthFailBurst: -1, Now: time.Now}) != nil {
		t.Fatal("disabled limit still builds a gate")
	}
}

func TestClientAddr(t *testing.T) {
	tcp := func(s string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(s), Port: 4242} }
	for _, c := range []struct {
		addr net.Addr
		want string
	}{
		{tcp("192.0.2.7"), "192.0.2.7"},
		{tcp("::ffff:192.0.2.7"), "192.0.2.7"},
		{tcp("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::"},
		{tcp("2001:db8:1:2::1"), "2001:db8:1:2::"},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0"}, "fe80::"},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "invalid IP"},
		{&net.TCPAddr{IP: nil}, "invalid IP"},
	} {
		if got := clientAddr(c.addr).String(); got != c.want {
			t.Errorf("clientAddr(%v) = %s, want %s", c.addr, got, c.want)
		}
	}
}

func TestClaimedAccessKey(t *testing.T) {
	const scope = "/20261128/us-east-1/s3/aws4_request"
	for _, c := range []struct{ authz, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKIA" + scope + ", SignedHeaders=host, Signature=00", "AKIA"},
		{"  AWS4-HMAC-SHA256 SignedHeaders=host,Signature=00,Credential=AK" + scope, "AK"},
		{"AWS4-HMAC-SHA256 Credential=a/b" + scope + ",SignedHeaders=host", "a/b"}, // as sigv4 splits from the right
		{"AWS4-HMAC-SHA256 Credential=" + scope, ""},
		{"AWS4-HMAC-SHA256 Credential=AK/20261128/us-east-1/s3", ""},
		{"AWS4-HMAC-SHA256 Credential=AK" + scope + ", Credential=BK" + scope, ""},
		{"AWS4-HMAC-SHA256 Credential=AK" + scope + ", Credential=AK" + scope, ""},
		{"AWS AKIA:c2lnbmF0dXJl", ""},
		{"AWS4-ECDSA-P256-SHA256 Credential=AK" + scope, ""},
		{"aws4-hmac-sha256 Credential=AK" + scope, ""},
		{"AWS4-HMAC-SHA256", ""},
		{"", ""},
	} {
		if got := claimedAccessKey(c.authz); got != c.want {
			t.Errorf("claimedAccessKey(%q) = %q, want %q", c.authz, got, c.want)
		}
	}
}

func FuzzClaimedAccessKey(f *testing.F) {
	const scope = "/20261128/us-east-1/s3/aws4_request"
	f.Add("AWS4-HMAC-SHA256 Credential=AKIA" + scope + ", SignedHeaders=host, Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f,Credential=x")
	f.Add("AWS4-HMAC-SHA256 ,,, =,Credential==/=/=/=/=")
	f.Add("AWS x:y")
	f.Fuzz(func(t *testing.T, authz string) {
		k := claimedAccessKey(authz)
		if k == "" {
			return
		}
		if !strings.HasPrefix(strings.TrimLeft(authz, " \t"), "AWS4-HMAC-SHA256 ") || strings.Contains(k, ",") {
			t.Fatalf("key %q from %q", k, authz)
		}
		// A second Credential component makes the header ambiguous.
		if again := claimedAccessKey(authz + ",Credential=X/a/b/c/d"); again != "" {
			t.Fatalf("two Credential components gave %q", again)
		}
	})
}
