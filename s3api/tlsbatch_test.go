package s3api

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// recConn records each Write as one call; failAt > 0 fails that call.
type recConn struct {
	net.Conn
	calls  [][]byte
	failAt int
}

func (c *recConn) Write(p []byte) (int, error) {
	c.calls = append(c.calls, bytes.Clone(p))
	if len(c.calls) == c.failAt {
		return 0, errors.New("broken pipe")
	}
	return len(p), nil
}

// Outside begin/end writes go straight through; inside, records gather
// into one write at end (a full buffer flushes first, an oversized write
// passes through in order); after a failed gathered write nothing more is
// sent.
func TestBatchConn(t *testing.T) {
	rc := &recConn{}
	c := &batchConn{Conn: rc, bufs: newBatchPool()}
	c.Write([]byte("hs"))
	c.begin()
	for range 4 {
		c.Write(bytes.Repeat([]byte("r"), 16<<10+22))
	}
	if len(rc.calls) != 1 {
		t.Fatalf("%d writes reached the connection while gathering", len(rc.calls))
	}
	if err := c.end(); err != nil || len(rc.calls) != 2 || len(rc.calls[1]) != 4*(16<<10+22) {
		t.Fatalf("end: %v, %d writes", err, len(rc.calls))
	}
	c.begin()
	c.Write([]byte("a"))
	big := make([]byte, tlsBatchSize+1)
	c.Write(big)
	c.end()
	if len(rc.calls) != 4 || string(rc.calls[2]) != "a" || len(rc.calls[3]) != len(big) {
		t.Fatalf("oversized write: %d calls", len(rc.calls))
	}

	rc = &recConn{failAt: 1}
	c = &batchConn{Conn: rc, bufs: newBatchPool()}
	c.begin()
	c.Write([]byte("x"))
	if err := c.end(); err == nil {
		t.Fatal("failed flush not reported")
	}
	if _, err := c.Write([]byte("y")); err == nil || len(rc.calls) != 1 {
		t.Fatalf("write after a failed flush: %v, %d calls", err, len(rc.calls))
	}
}

// A server that writes before any explicit handshake still completes it
// (its flights are not gathered) and the client reads the batched bytes.
func TestBatchedTLSWriteBeforeHandshake(t *testing.T) {
	certPEM, keyPEM, err := selfSigned([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &tlsListener{Listener: raw, conf: TLSConfig(cert), timeout: 5 * time.Second, bufs: newBatchPool()}
	defer ln.Close()
	body := bytes.Repeat([]byte("0123456789abcdef"), 10<<10) // 160 KiB: several records, two batches
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write(body)
	}()
	cc, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", raw.Addr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test peer
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	cc.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(cc)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d of %d bytes: %v", len(got), len(body), err)
	}
}
