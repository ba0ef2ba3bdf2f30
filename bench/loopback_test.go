package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"
)

// selfSigned returns a throwaway TLS certificate for 127.0.0.1.
func selfSigned(tb testing.TB) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bench"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// loopbackPair returns the two ends of one loopback TCP connection,
// wrapped in TLS 1.3 (the server's hybrid key exchange) when secure is set.
func loopbackPair(tb testing.TB, secure bool) (send, recv net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ch <- accepted{c, err}
	}()
	cli, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	a := <-ch
	if a.err != nil {
		tb.Fatal(a.err)
	}
	srv := a.c
	if !secure {
		return srv, cli
	}
	cfg := &tls.Config{
		Certificates:     []tls.Certificate{selfSigned(tb)},
		MinVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519},
	}
	ts := tls.Server(srv, cfg)
	tc := tls.Client(cli, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	errc := make(chan error, 1)
	go func() { errc <- ts.Handshake() }()
	if err := tc.Handshake(); err != nil {
		tb.Fatal(err)
	}
	if err := <-errc; err != nil {
		tb.Fatal(err)
	}
	return ts, tc
}

// BenchmarkLoopback is the ceiling of one loopback connection, the path
// every single-stream GET and PUT of the gateway benchmarks takes: the
// server side writes 64 KiB buffers (the response writer's flush size),
// the client side reads them, both in this process. The TLS case adds a
// record seal on one side and an open on the other, which is what caps a
// TLS GET against its plaintext twin on a machine whose client shares the
// server's cores (docs/PERFORMANCE.md, TLS).
func BenchmarkLoopback(b *testing.B) {
	for _, c := range []struct {
		name   string
		secure bool
	}{{"tcp", false}, {"tls13", true}} {
		b.Run(c.name, func(b *testing.B) {
			send, recv := loopbackPair(b, c.secure)
			defer send.Close()
			defer recv.Close()
			buf := make([]byte, 64<<10)
			done := make(chan error, 1)
			go func() {
				_, err := io.Copy(io.Discard, recv)
				done <- err
			}()
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := send.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
			// The reader must have taken every byte before the clock stops.
			if cw, ok := send.(interface{ CloseWrite() error }); ok {
				if err := cw.CloseWrite(); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
		})
	}
}
