package s3api

import (
	"net"
	"sync"
)

// tlsBatchSize is the most sealed bytes one batched write gathers: a
// 64 KiB response buffer (fasthttp's WriteBufferSize) is four TLS records
// plus their headers and tags.
const tlsBatchSize = 68 << 10

// newBatchPool returns the gather buffers of one listener's connections; a
// connection holds one only for the duration of one Write, so idle
// keep-alive connections cost nothing.
func newBatchPool() *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, 0, tlsBatchSize); return &b }}
}

// batchConn sits under a server *tls.Conn and lets one application Write
// leave in one write(2): crypto/tls writes every 16 KiB record with its own
// call on the underlying connection, four syscalls per 64 KiB of a GET
// body (39 % of the TLS server's CPU in a GET profile). Between begin and
// end the sealed records are gathered; outside (handshake, alerts, close)
// writes go straight through.
type batchConn struct {
	net.Conn
	bufs *sync.Pool // newBatchPool's
	mu   sync.Mutex
	buf  *[]byte // non-nil between begin and end
	// err is the first failed write of gathered records: crypto/tls
	// believes them sent, so nothing may follow them on the wire.
	err error
}

// begin starts gathering.
func (c *batchConn) begin() {
	c.mu.Lock()
	c.buf = c.bufs.Get().(*[]byte)
	c.mu.Unlock()
}

// end writes what was gathered (under the connection's write deadline)
// and stops gathering.
func (c *batchConn) end() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.buf
	c.buf = nil
	if b == nil {
		return nil
	}
	if len(*b) > 0 && c.err == nil {
		_, c.err = c.Conn.Write(*b)
	}
	*b = (*b)[:0]
	c.bufs.Put(b)
	return c.err
}

// Write gathers p while batching, flushing first when it would not fit;
// otherwise it writes through.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.buf == nil {
		return c.Conn.Write(p)
	}
	b := c.buf
	if len(*b)+len(p) > cap(*b) && len(*b) > 0 {
		_, c.err = c.Conn.Write(*b)
		*b = (*b)[:0]
		if c.err != nil {
			return 0, c.err
		}
	}
	if len(p) > cap(*b) {
		return c.Conn.Write(p)
	}
	*b = append(*b, p...)
	return len(p), nil
}

// NetConn returns the accepted connection, for the disconnect watcher.
func (c *batchConn) NetConn() net.Conn { return c.Conn }
