package s3api

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Connection refusal reasons reported to a ConnObserver.
const (
	// ConnRefusedTotal: the server already holds Options.MaxConns
	// connections.
	ConnRefusedTotal = "total"
	// ConnRefusedPerIP: the client (IPv4 address or IPv6 /64) already holds
	// Options.MaxConnsPerIP connections.
	ConnRefusedPerIP = "per_ip"
)

// ConnObserver, when Options.Observer also implements it, is told about
// every connection closed at accept because a cap was reached (package
// metrics implements it).
type ConnObserver interface {
	ConnRefused(reason string)
}

// Accept retry backoff, as net/http: from acceptRetryMin doubling to
// acceptRetryMax while accept keeps failing.
const (
	acceptRetryMin = 5 * time.Millisecond
	acceptRetryMax = time.Second
	// acceptLogEvery rate-limits the accept-error log line.
	acceptLogEvery = 10 * time.Second
)

// limitListener is the listener fasthttp serves from. It never hands
// fasthttp an accept error it would treat as fatal: fasthttp's Serve
// returns on any accept error that is not a timeout, EMFILE and ENFILE
// included, which would let one client stop the server by exhausting file
// descriptors. Such errors are retried here with a backoff instead.
//
// It also enforces the connection caps: a connection over the total or
// per-client cap is closed at once, before fasthttp spends a goroutine or
// a buffer on it, so a flood from one address cannot crowd out others.
type limitListener struct {
	net.Listener
	maxConns, maxPerIP int
	log                *slog.Logger
	obs                ConnObserver

	done      chan struct{}
	closeOnce sync.Once

	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int

	// Accessed only by the goroutine calling Accept (fasthttp's one accept
	// loop per listener).
	lastLog    time.Time
	suppressed int
}

// newLimitListener wraps ln with the caps (zero or negative: no cap).
func newLimitListener(ln net.Listener, maxConns, maxPerIP int, log *slog.Logger, obs ConnObserver) *limitListener {
	return &limitListener{
		Listener: ln, maxConns: maxConns, maxPerIP: maxPerIP, log: log, obs: obs,
		done: make(chan struct{}), perIP: make(map[netip.Addr]int),
	}
}

// Accept returns the next connection within the caps, retrying transient
// accept failures until the listener is closed.
func (l *limitListener) Accept() (net.Conn, error) {
	backoff := time.Duration(0)
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryableAccept(err) {
				return nil, err
			}
			backoff = min(max(2*backoff, acceptRetryMin), acceptRetryMax)
			l.logAcceptError(err, backoff)
			select {
			case <-l.done:
				return nil, net.ErrClosed
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		key := clientAddr(c.RemoteAddr())
		if reason := l.admit(key); reason != "" {
			// Counted before the close: whoever sees the connection
			// closed (a client, a test) then also sees the refusal.
			if l.obs != nil {
				l.obs.ConnRefused(reason)
			}
			_ = c.Close()
			continue
		}
		return &limitedConn{Conn: c, l: l, key: key}, nil
	}
}

// admit counts a new connection from key, or returns why it is refused.
func (l *limitListener) admit(key netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxConns > 0 && l.total >= l.maxConns {
		return ConnRefusedTotal
	}
	if l.maxPerIP > 0 && l.perIP[key] >= l.maxPerIP {
		return ConnRefusedPerIP
	}
	l.total++
	l.perIP[key]++
	return ""
}

// release uncounts a closed connection from key.
func (l *limitListener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if n := l.perIP[key] - 1; n > 0 {
		l.perIP[key] = n
	} else {
		delete(l.perIP, key)
	}
}

// Close stops Accept, including one sleeping in a retry backoff.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// logAcceptError logs accept failures at most once per acceptLogEvery,
// with the number of failures not logged in between.
func (l *limitListener) logAcceptError(err error, backoff time.Duration) {
	now := time.Now()
	if !l.lastLog.IsZero() && now.Sub(l.lastLog) < acceptLogEvery {
		l.suppressed++
		return
	}
	l.log.Warn("s3api: accept failed; retrying", "err", err, "backoff", backoff, "suppressed", l.suppressed)
	l.lastLog, l.suppressed = now, 0
}

// retryableAccept reports whether an accept error is transient: out of
// file descriptors or memory, an aborted handshake, or anything the
// runtime calls a timeout or temporary. Only a closed listener and
// unknown permanent errors end Serve.
func retryableAccept(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO} {
		if errors.Is(err, e) {
			return true
		}
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return true
	}
	var tmp interface{ Temporary() bool }
	return errors.As(err, &tmp) && tmp.Temporary()
}

// limitedConn uncounts itself from its listener's caps when closed.
type limitedConn struct {
	net.Conn
	l      *limitListener
	key    netip.Addr
	once   sync.Once
	linger atomic.Bool
}

// lingerTimeout and lingerLimit bound a lingering close.
const (
	lingerTimeout = 2 * time.Second
	lingerLimit   = 64 << 20
)

// lingerOnClose makes the next Close linger. Closing a socket with unread
// bytes in its receive buffer sends a TCP reset, which can reach the client
// before it has read the answer: an SDK still sending a 5 MiB part then
// sees "connection reset" instead of the 403 that refused it. A lingering
// close, as net/http does, first shuts the sending side (the answer and a
// FIN go out) and reads and drops what the client still sends until it
// closes, lingerLimit bytes or lingerTimeout, whichever comes first.
func (c *limitedConn) lingerOnClose() { c.linger.Store(true) }

// Close implements net.Conn.
func (c *limitedConn) Close() error {
	if c.linger.Load() {
		if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_ = c.Conn.SetReadDeadline(time.Now().Add(lingerTimeout))
		_, _ = io.Copy(io.Discard, io.LimitReader(c.Conn, lingerLimit))
	}
	c.once.Do(func() { c.l.release(c.key) })
	return c.Conn.Close()
}

// NetConn returns the accepted connection, for the disconnect watcher.
func (c *limitedConn) NetConn() net.Conn { return c.Conn }

// tlsListener terminates TLS on connections from the limit listener; each
// connection's handshake is bounded by its own timeout (fasthttp runs the
// handshake under ReadTimeout otherwise).
type tlsListener struct {
	net.Listener
	conf    *tls.Config
	timeout time.Duration
	bufs    *sync.Pool // gather buffers of the connections' batchConns
}

// Accept implements net.Listener.
func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	bc := &batchConn{Conn: c, bufs: l.bufs}
	return &handshakeConn{Conn: tls.Server(bc, l.conf), raw: bc, timeout: l.timeout}, nil
}

// handshakeConn is a server TLS connection whose Handshake (which fasthttp
// calls before reading the first request) gives up after timeout. It keeps
// *tls.Conn's methods, so fasthttp still sees a TLS connection.
type handshakeConn struct {
	*tls.Conn
	raw     *batchConn
	timeout time.Duration
}

// Write seals p and sends its records in one write on the connection (see
// batchConn) instead of one write per 16 KiB record.
func (c *handshakeConn) Write(p []byte) (int, error) {
	// A Write before the handshake would run it with its flights gathered
	// and never sent: finish it first, unbatched.
	if !c.Conn.ConnectionState().HandshakeComplete {
		if err := c.Handshake(); err != nil {
			return 0, err
		}
	}
	c.raw.begin()
	n, err := c.Conn.Write(p)
	if ferr := c.raw.end(); err == nil && ferr != nil {
		return 0, ferr
	}
	return n, err
}

// Handshake runs the TLS handshake under the handshake timeout; a client
// that stalls it has its connection closed. A client that spoke plain HTTP
// to this TLS port is told so (see answerPlainHTTP) instead of getting an
// empty reply.
func (c *handshakeConn) Handshake() error {
	var err error
	if c.timeout <= 0 {
		err = c.Conn.Handshake()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		err = c.Conn.HandshakeContext(ctx)
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) && rh.Conn != nil && looksLikeHTTP(rh.RecordHeader) {
		answerPlainHTTP(rh.Conn)
	}
	return err
}

// looksLikeHTTP reports whether the first five bytes of a connection start
// an HTTP/1 request line rather than a TLS record.
func looksLikeHTTP(h [5]byte) bool {
	for _, m := range []string{"GET /", "PUT /", "POST ", "HEAD ", "DELET", "OPTIO", "PATCH", "CONNE"} {
		if string(h[:]) == m {
			return true
		}
	}
	return false
}

// plainHTTPBody is what a plain-HTTP request to the TLS port is told.
const plainHTTPBody = "This port speaks HTTPS (TLS 1.3): use https:// in the endpoint URL instead.\n"

// answerPlainHTTP writes a 400 with plainHTTPBody on the raw connection (bounded by a
// short deadline, so a client that does not read cannot hold it open).
func answerPlainHTTP(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"+
		"Content-Length: "+strconv.Itoa(len(plainHTTPBody))+"\r\n\r\n"+plainHTTPBody)
}
