package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

// fillFolders puts n small objects spread over folders "dNNN/" with 8
// concurrent clients.
func fillFolders(t *testing.T, c *s3.Client, bucket string, n, folders int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				key := fmt.Sprintf("d%04d/o%05d", i%folders, i)
				_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte("x"))})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestHangUpStopsListing: a client that hangs up during an expensive
// delimiter listing (each common prefix costs a scan of the bucket on the
// embedded backend) has the server's work stop: the server process's CPU
// use drops back to idle within a second, measured from /proc.
func TestHangUpStopsListing(t *testing.T) {
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
	// About 4 s of listing work on the test machine: one object per folder.
	fillFolders(t, c, bucket, 550, 550)
	time.Sleep(300 * time.Millisecond) // let the fill's work settle

	ctx, cancel := context.WithCancel(context.Background())
	listed := make(chan error, 1)
	go func() {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Delimiter: aws.String("/")})
		listed <- err
	}()
	time.Sleep(300 * time.Millisecond)
	busyFrom := cpuTime(t, pid)
	time.Sleep(700 * time.Millisecond)
	busy := cpuTime(t, pid) - busyFrom
	cancel() // the transport closes the connection
	if err := <-listed; !errors.Is(err, context.Canceled) {
		t.Fatalf("listing was not in progress at the hang-up (finished with %v); the test needs a slower listing", err)
	}
	time.Sleep(time.Second)
	idleFrom := cpuTime(t, pid)
	time.Sleep(time.Second)
	after := cpuTime(t, pid) - idleFrom
	t.Logf("server CPU: %v in the 700 ms before the hang-up, %v in the second starting 1 s after it", busy, after)
	if busy < 100*time.Millisecond {
		// A machine this loaded cannot tell a stopped listing from a
		// starved one.
		t.Skipf("inconclusive: the listing got only %v CPU in 700 ms", busy)
	}
	if after > 100*time.Millisecond || after > busy/3 {
		t.Fatalf("server still used %v CPU in the second starting 1 s after the client hung up (%v in the 700 ms before)", after, busy)
	}
}
