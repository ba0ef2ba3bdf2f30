package s3api

import (
	"log/slog"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/valyala/fasthttp"
)

// defaultMaxProven bounds the proven-connection table when Options.MaxConns
// is unset (fasthttp's own default connection cap).
const defaultMaxProven = fasthttp.DefaultConcurrency

// authGate throttles failed authentications per client (Options.AuthFail*)
// so that guessing access keys, secrets or signatures, and the bucket
// probing that needs them, runs at a few attempts per second at most.
//
// A client over the limit is answered 503 SlowDown before its signature is
// checked. The one exception is a request on a connection that already
// authenticated successfully with the access key this request names: that
// connection has proven it holds the key's secret, so its requests are
// checked as usual and a legitimate client's keep-alive connection keeps
// working while someone behind the same address is throttled. The
// exemption is dropped at the first failure on the connection.
type authGate struct {
	lim *authLimiter
	log *slog.Logger

	mu        sync.Mutex
	proven    map[net.Conn]string // connection → access key it authenticated with
	maxProven int
}

// newAuthGate returns the gate for o, or nil when the limit is disabled.
func newAuthGate(o *Options) *authGate {
	lim := newAuthLimiter(o.AuthFailBurst, o.AuthFailRate, o.AuthFailClients, o.Now)
	if lim == nil {
		return nil
	}
	maxProven := o.MaxConns
	if maxProven <= 0 {
		maxProven = defaultMaxProven
	}
	return &authGate{lim: lim, log: o.Logger, proven: make(map[net.Conn]string), maxProven: maxProven}
}

// connState is the fasthttp ConnState hook: a closed connection's proof
// goes with it, so the table holds only live connections.
func (g *authGate) connState(c net.Conn, st fasthttp.ConnState) {
	if st == fasthttp.StateClosed || st == fasthttp.StateHijacked {
		g.forget(c)
	}
}

// isProven reports whether c authenticated successfully with accessKey.
func (g *authGate) isProven(c net.Conn, accessKey string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return accessKey != "" && g.proven[c] == accessKey
}

// prove records that c authenticated successfully with accessKey. A full
// table records nothing: the connection is then limited like any other.
func (g *authGate) prove(c net.Conn, accessKey string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.proven[c]; ok || len(g.proven) < g.maxProven {
		g.proven[c] = accessKey
	}
}

// forget drops c's proof.
func (g *authGate) forget(c net.Conn) {
	g.mu.Lock()
	delete(g.proven, c)
	g.mu.Unlock()
}

// authAttempt is one request's passage through the gate: begin before the
// signature is checked, then exactly one of fail, succeed or release.
type authAttempt struct {
	g        *authGate
	client   netip.Addr
	conn     net.Conn
	exempt   bool // on a proven connection: not reserved, charged on failure
	reserved bool // holds a token until the outcome is known
	last     bool // the reserved token was the client's last
}

// beginAuth admits r to authentication, or returns SlowDown (with a
// Retry-After header set on r) when its client is over the limit. A nil
// gate admits everything.
func (s *Server) beginAuth(r *request) (authAttempt, error) {
	g := s.gate
	a := authAttempt{g: g}
	if g == nil {
		return a, nil
	}
	a.client = clientAddr(r.ctx.RemoteAddr())
	a.conn = r.ctx.Conn()
	if authz, ok := r.hdr.get("authorization"); ok && g.isProven(a.conn, claimedAccessKey(authz)) {
		a.exempt = true
		return a, nil
	}
	ok, retry, last := g.lim.reserve(a.client)
	if !ok {
		r.setHeader("Retry-After", strconv.Itoa(int(max(1, math.Ceil(retry.Seconds())))))
		g.log.Debug("s3api: client over the failed-authentication limit refused", "id", r.id, "client", a.client)
		return a, s3err.New(s3err.SlowDown)
	}
	a.reserved, a.last = true, last
	return a, nil
}

// fail records a failed authentication: the reserved token stays spent
// (or, on an exempt connection, one is charged and the exemption ends).
func (a *authAttempt) fail(r *request, code string) {
	g := a.g
	if g == nil {
		return
	}
	last := a.last
	if a.exempt {
		g.forget(a.conn)
		last = g.lim.charge(a.client)
	}
	a.reserved = false
	if last {
		g.log.Warn("s3api: client reached the failed-authentication limit; further unauthenticated requests get 503 SlowDown",
			"client", a.client, "id", r.id, "code", code, "burst", g.lim.burst, "per_second", g.lim.rate)
	}
}

// succeed records a successful authentication as accessKey: the token is
// handed back and the connection is proven for that key.
func (a *authAttempt) succeed(accessKey string) {
	if a.g == nil || a.exempt {
		return // an exempt request is on a connection already proven
	}
	a.release()
	if accessKey != "" {
		a.g.prove(a.conn, accessKey)
	}
}

// release hands back a reserved token without proving the connection: the
// attempt was not an authentication failure (a 100-continue check that
// passed, or a refusal for another reason).
func (a *authAttempt) release() {
	if a.g != nil && a.reserved {
		a.g.lim.refund(a.client)
		a.reserved = false
	}
}

// clientAddr is the limiter's key for a peer: its IPv4 address, or the /64
// an IPv6 address lies in (one host commonly holds a whole /64, so per
// address limits would be trivial to sidestep). Peers that are not TCP
// (tests, unix sockets) share the zero key.
func clientAddr(a net.Addr) netip.Addr {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}

// claimedAccessKey returns the access key an AWS4-HMAC-SHA256
// Authorization header names, checking nothing else, or "" when it names
// none or is ambiguous. It reads the header the way package sigv4 does
// (components split at commas, Credential exactly once, the access key
// being what precedes the four scope parts), so the key it reports is the
// one the verifier will check.
func claimedAccessKey(authz string) string {
	alg, rest, _ := strings.Cut(strings.TrimLeft(authz, " \t"), " ")
	if alg != "AWS4-HMAC-SHA256" {
		return ""
	}
	key := ""
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k != "Credential" {
			continue
		}
		if key != "" {
			return "" // twice: the verifier refuses it anyway
		}
		for i := 0; i < 4; i++ {
			j := strings.LastIndexByte(v, '/')
			if j < 0 {
				return ""
			}
			v = v[:j]
		}
		if v == "" {
			return ""
		}
		key = v
	}
	return key
}
