package s3api

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// refusals counts ConnRefused calls by reason.
type refusals struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *refusals) ConnRefused(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[reason]++
}

func (r *refusals) get(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[reason]
}

// dialFrom connects to addr from the loopback address local.
func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closed c (a read sees EOF or
// a reset) rather than keeping it open.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestLimitListenerCaps: connections over the per-client cap are closed
// at once while other clients are still admitted, the total cap holds
// across clients, and a closed connection frees its place.
func TestLimitListenerCaps(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	obs := &refusals{}
	ln := newLimitListener(raw, 3, 2, testLogger(), obs)
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := raw.Addr().String()
	// next returns the server side of the connection just dialled.
	next := func(net.Conn) net.Conn {
		select {
		case s := <-accepted:
			return s
		case <-time.After(5 * time.Second):
			t.Fatal("connection not accepted")
			return nil
		}
	}
	a1 := dialFrom(t, "127.0.0.1", addr)
	s1 := next(a1)
	next(dialFrom(t, "127.0.0.1", addr))
	if over := dialFrom(t, "127.0.0.1", addr); !closedByServer(over) {
		t.Fatal("third connection from one address was kept over a per-IP cap of 2")
	}
	if got := obs.get(ConnRefusedPerIP); got != 1 {
		t.Fatalf("per-IP refusals %d, want 1", got)
	}
	other := dialFrom(t, "127.0.0.2", addr)
	next(other)
	if closedByServer(other) {
		t.Fatal("a connection from another address was refused")
	}
	if over := dialFrom(t, "127.0.0.3", addr); !closedByServer(over) {
		t.Fatal("a fourth connection was kept over a total cap of 3")
	}
	if got := obs.get(ConnRefusedTotal); got != 1 {
		t.Fatalf("total refusals %d, want 1", got)
	}
	_ = s1.Close()
	_ = s1.Close() // a second Close must not uncount twice
	next(dialFrom(t, "127.0.0.1", addr))
	if over := dialFrom(t, "127.0.0.3", addr); !closedByServer(over) {
		t.Fatal("double Close freed two places")
	}
}

// errListener fails Accept with err n times, then returns conn (or keeps
// failing when conn is nil).
type errListener struct {
	net.Listener
	err  error
	n    int
	conn net.Conn
	mu   sync.Mutex
}

func (l *errListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n > 0 || l.conn == nil {
		l.n--
		return nil, l.err
	}
	c := l.conn
	l.conn = nil
	return c, nil
}

func (l *errListener) Close() error { return nil }

// TestAcceptRetriesExhaustion: EMFILE from accept is retried, never
// returned (fasthttp would stop serving), and Close still ends Accept.
func TestAcceptRetriesExhaustion(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: &osSyscallError{syscall.EMFILE}}
	ln := newLimitListener(&errListener{err: emfile, n: 3, conn: a}, 0, 0, testLogger(), nil)
	c, err := ln.Accept()
	if err != nil || c == nil {
		t.Fatalf("Accept after 3 EMFILE: %v, %v", c, err)
	}

	stuck := newLimitListener(&errListener{err: emfile}, 0, 0, testLogger(), nil)
	done := make(chan error, 1)
	go func() { _, err := stuck.Accept(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	_ = stuck.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Accept kept retrying after Close")
	}

	if retryableAccept(net.ErrClosed) || retryableAccept(errors.New("permanent")) {
		t.Fatal("a closed listener or unknown error is retried")
	}
}

// osSyscallError mimics os.SyscallError wrapping an errno.
type osSyscallError struct{ errno syscall.Errno }

func (e *osSyscallError) Error() string { return "accept4: " + e.errno.Error() }
func (e *osSyscallError) Unwrap() error { return e.errno }

// TestTLSHandshakeTimeout: a client that opens a TLS connection and never
// sends a ClientHello is dropped after the handshake timeout, not the
// header timeout.
func TestTLSHandshakeTimeout(t *testing.T) {
	certPEM, keyPEM, err := selfSigned([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) {
		o.TLS = TLSConfig(cert)
		o.TLSHandshakeTimeout = 200 * time.Millisecond
		o.HeaderTimeout = 30 * time.Second
	})
	addr := serveTCP(t, e)
	c := dialFrom(t, "127.0.0.1", addr)
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if d := time.Since(start); err == nil || d > 2*time.Second {
		t.Fatalf("silent TLS client: read %v after %v, want the connection closed after ~200ms", err, d)
	}
	// A real client still completes its handshake.
	tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	_ = tc.Close()
}

// TestPlainHTTPToTLSPort: a plain-HTTP request to the TLS port gets a 400
// saying to use https, not an empty reply; TLS clients are unaffected.
func TestPlainHTTPToTLSPort(t *testing.T) {
	certPEM, keyPEM, err := selfSigned([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) { o.TLS = TLSConfig(cert) })
	addr := serveTCP(t, e)
	res, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("plain HTTP to the TLS port: %v (want a 400 answer)", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "use https://") {
		t.Fatalf("plain HTTP to the TLS port: %d %q", res.StatusCode, body)
	}
	tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS handshake after a plain-HTTP client: %v", err)
	}
	_ = tc.Close()
}

// TestDeclaredSizeRefusedAtOnce: a PUT or UploadPart declaring more than
// the object size limit is answered EntityTooLarge without waiting for any
// of its body, and the connection is closed.
func TestDeclaredSizeRefusedAtOnce(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	for _, query := range []string{"", "partNumber=1&uploadId=u1"} {
		c, br := e.dial()
		raw := e.build(req{method: http.MethodPut, path: "/bkt/k", query: query, payload: "UNSIGNED-PAYLOAD",
			hdr: [][2]string{{"Content-Length", "6442450944"}}})
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write(raw); err != nil {
			t.Fatal(err)
		}
		got := e.read(br, false)
		mustStatus(t, got, 400, "EntityTooLarge")
		if !got.closes() {
			t.Errorf("%q: connection kept open after refusing a body that was never read", query)
		}
	}
	// A declared size within the limit still waits for and stores its body.
	mustStatus(t, e.put("/bkt/ok", []byte("hello")), 200, "")
}

// TestHeaderAndIdleTimeouts: a new connection that sends nothing, or
// trickles its headers byte by byte, is dropped after HeaderTimeout even
// though bytes keep coming; a keep-alive connection is dropped after
// IdleTimeout without a next request.
func TestHeaderAndIdleTimeouts(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.HeaderTimeout = 300 * time.Millisecond
		o.IdleTimeout = 500 * time.Millisecond
	})
	e.mkBucket("bkt")
	addr := serveTCP(t, e)
	closedWithin := func(c net.Conn, limit time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		_ = c.SetReadDeadline(start.Add(5 * time.Second))
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("connection still open after 5 s (want closed within %v)", limit)
				}
				if d := time.Since(start); d > limit {
					t.Fatalf("connection closed after %v, want within %v", d, limit)
				}
				return time.Since(start)
			}
		}
	}

	closedWithin(dialFrom(t, "127.0.0.1", addr), 2*time.Second) // silent

	trickler := dialFrom(t, "127.0.0.1", addr)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		msg := []byte("GET /bkt HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
		for _, b := range msg {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := trickler.Write([]byte{b}); err != nil {
				return
			}
		}
	}()
	closedWithin(trickler, 2*time.Second)

	keep := dialFrom(t, "127.0.0.1", addr)
	if _, err := keep.Write(e.build(req{path: "/bkt"})); err != nil {
		t.Fatal(err)
	}
	// closedWithin reads (and discards) the response first.
	closedWithin(keep, 3*time.Second)
}
