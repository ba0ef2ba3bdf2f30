package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// cpuTime returns the user+system CPU time process pid has used.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the parenthesised command name; utime and stime are
	// the 14th and 15th fields of the whole line, in clock ticks (100/s
	// on Linux).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse /proc/%d/stat: %q", pid, b)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// patternReader is an io.ReadSeeker of n bytes repeating a 1 MiB block, so
// large test objects need no large buffers (the server encrypts whatever it
// gets, so the repetition does not make its work cheaper).
type patternReader struct {
	block  []byte
	n, off int64
}

func newPatternReader(n int64) *patternReader {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return &patternReader{block: b, n: n}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = r.block[(r.off+int64(i))%int64(len(r.block))]
	}
	r.off += int64(len(p))
	return len(p), nil
}

func (r *patternReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.off
	case io.SeekEnd:
		off += r.n
	default:
		return 0, fmt.Errorf("patternReader: whence %d", whence)
	}
	if off < 0 {
		return 0, fmt.Errorf("patternReader: negative offset %d", off)
	}
	r.off = off
	return off, nil
}

// TestHangUpStopsWork: a client that hangs up during a long server-side
// CopyObject (the gateway decrypts the source and re-encrypts every byte
// under the destination's key) has the server's work stop: the server
// process's CPU use drops back to idle within a second, measured from
// /proc, and the destination is either absent or whole, never half-written.
//
// Listings were the original example, but they now cost O(page) (a common
// prefix is one seek), so no listing stays busy long enough to hang up
// during it; a copy's cost grows with the object. The source doubles until
// the copy is still running at the hang-up, so a faster machine gets a
// larger object rather than a failure.
func TestHangUpStopsWork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	p := startBinaryWith(t, filepath.Join(t.TempDir(), "data"), binaryOpts{})
	pid := p.proc.Pid()
	c := p.sdk(checksumsOff)
	bucket := bucketName("hangup")
	createBucket(t, c, bucket)

	for size := int64(96 << 20); ; size *= 2 {
		if size > 1<<30 {
			t.Fatalf("a copy of %d MiB finished within a second; cannot hang up during one", size>>21)
		}
		src := fmt.Sprintf("src-%d", size>>20)
		if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(src), Body: newPatternReader(size), ContentLength: aws.Int64(size)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // let the upload's write-back settle
		dst := "dst-" + src
		ctx, cancel := context.WithCancel(context.Background())
		copied := make(chan error, 1)
		go func() {
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), CopySource: aws.String(bucket + "/" + src)})
			copied <- err
		}()
		time.Sleep(300 * time.Millisecond)
		busyFrom := cpuTime(t, pid)
		time.Sleep(500 * time.Millisecond)
		busy := cpuTime(t, pid) - busyFrom
		cancel() // the transport closes the connection
		if err := <-copied; !errors.Is(err, context.Canceled) {
			if err != nil {
				t.Fatalf("copy of %d MiB: %v", size>>20, err)
			}
			continue // finished before the hang-up: try a larger object
		}
		time.Sleep(time.Second)
		idleFrom := cpuTime(t, pid)
		time.Sleep(time.Second)
		after := cpuTime(t, pid) - idleFrom
		t.Logf("copy of %d MiB: server CPU %v in the 500 ms before the hang-up, %v in the second starting 1 s after it", size>>20, busy, after)
		if busy < 100*time.Millisecond {
			// A machine this loaded cannot tell a stopped copy from a
			// starved one.
			t.Skipf("inconclusive: the copy got only %v CPU in 500 ms", busy)
		}
		// Work still running would use at least the rate it had before
		// (≥ 200 ms/s, given the check above); idle background work (IAM
		// refresh, metrics) stays far below 100 ms/s. No ratio to busy: on
		// RADOS the gateway's own share of a copy is small.
		if after > 100*time.Millisecond {
			t.Fatalf("server still used %v CPU in the second starting 1 s after the client hung up (%v in the 500 ms before)", after, busy)
		}
		// The abandoned copy left nothing half-written: the destination
		// is absent, or (had it committed just before the hang-up) whole.
		h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst)})
		var nf *types.NotFound
		switch {
		case errors.As(err, &nf):
		case err != nil:
			t.Fatalf("HEAD %s after the hang-up: %v", dst, err)
		case aws.ToInt64(h.ContentLength) != size:
			t.Fatalf("HEAD %s after the hang-up: %d bytes, want %d or absent", dst, aws.ToInt64(h.ContentLength), size)
		}
		return
	}
}
