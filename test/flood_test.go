package test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fromAddr makes the SDK client connect from the loopback address ip, so
// the server sees it as a client other than the flood's 127.0.0.1, with a
// new connection per request: a client must get in while the flood holds
// its connections, not only keep one it opened before.
func fromAddr(ip string) clientOpt {
	return func(o *s3.Options) {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.TLSClientConfig = fx.ca.clientTLS()
			tr.DialContext = d.DialContext
			tr.DisableKeepAlives = true
		}).WithTimeout(10 * time.Second)
	}
}

// flood holds connections opened from 127.0.0.1: idle ones that never
// send a byte and trickling ones that send a request header a byte at a
// time.
type flood struct {
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
	stop  chan struct{}
}

// startFlood opens idle connections and trickle ones to addr. Dial
// failures are expected (the server may be out of descriptors, or its
// backlog full) and only counted.
func startFlood(addr string, idle, trickle int) (*flood, int) {
	f := &flood{stop: make(chan struct{})}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, Timeout: 500 * time.Millisecond}
	failed := 0
	for i := range idle + trickle {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			failed++
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		if i >= idle {
			f.wg.Add(1)
			go f.trickle(c)
		}
	}
	return f, failed
}

// trickle writes a request header one byte every 100 ms until stopped
// or the server closes the connection.
func (f *flood) trickle(c net.Conn) {
	defer f.wg.Done()
	msg := []byte("GET /bucket/key HTTP/1.1\r\nHost: x\r\nX-Slow: " + string(bytes.Repeat([]byte("a"), 4096)))
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for _, b := range msg {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		if _, err := c.Write([]byte{b}); err != nil {
			return
		}
	}
}

// close ends the flood.
func (f *flood) close() {
	close(f.stop)
	f.mu.Lock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// alive reports whether process pid still exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// signedRounds runs n PUT/GET/List rounds from client c and returns each
// round's duration; any failure fails the test.
func signedRounds(t *testing.T, c *s3.Client, bucket string, n int) []time.Duration {
	t.Helper()
	var took []time.Duration
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		start := time.Now()
		key := fmt.Sprintf("k%d", i)
		data := randData(uint64(i), 4096)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			cancel()
			t.Fatalf("round %d: PUT during the flood: %v", i, err)
		}
		_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if !bytes.Equal(got, data) {
			cancel()
			t.Fatalf("round %d: GET returned other bytes", i)
		}
		if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); err != nil {
			cancel()
			t.Fatalf("round %d: list during the flood: %v", i, err)
		}
		cancel()
		took = append(took, time.Since(start))
	}
	return took
}

// TestConnectionFlood: with a low descriptor limit, thousands of idle
// and trickling connections from one address (far beyond the per-IP cap)
// neither stop the server nor lock out a signed client on another address.
// Without caps the flood exhausts the descriptors; accept errors are then
// retried, the server keeps running and serves again once the flood ends.
func TestConnectionFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	t.Run("capped", func(t *testing.T) {
		p := startBinaryWith(t, filepath.Join(t.TempDir(), "data"), binaryOpts{nofile: 1024})
		c := p.sdk(fromAddr("127.0.0.2"), checksumsOff)
		bucket := bucketName("flood-capped")
		createBucket(t, c, bucket)
		before := signedRounds(t, c, bucket, 5)

		f, failed := startFlood(p.Addr, 3000, 200)
		defer f.close()
		during := signedRounds(t, c, bucket, 20)
		if !alive(p.proc.Pid()) {
			t.Fatal("the server exited under the flood")
		}
		slices.Sort(before)
		slices.Sort(during)
		t.Logf("flood of %d connections (%d dials failed): signed round (PUT+GET+LIST 4 KiB) median %v max %v, before the flood median %v",
			3200-failed, failed, during[len(during)/2], during[len(during)-1], before[len(before)/2])
	})
	t.Run("uncapped", func(t *testing.T) {
		p := startBinaryWith(t, filepath.Join(t.TempDir(), "data"), binaryOpts{nofile: 256,
			args: []string{"--max-conns", "-1", "--max-conns-per-ip", "-1"}})
		c := p.sdk(fromAddr("127.0.0.2"), checksumsOff)
		bucket := bucketName("flood-uncapped")
		createBucket(t, c, bucket)
		f, failed := startFlood(p.Addr, 600, 0)
		// The server is out of descriptors now: accept fails with EMFILE
		// and is retried. Give it a moment in that state.
		time.Sleep(500 * time.Millisecond)
		if !alive(p.proc.Pid()) {
			t.Fatal("the server exited when accept ran out of descriptors")
		}
		f.close()
		// Once the flood is gone the same server answers again.
		deadline := time.Now().Add(15 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server did not recover after the flood (%d dials failed): %v", failed, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		signedRounds(t, c, bucket, 3)
	})
}
