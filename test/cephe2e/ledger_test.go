//go:build ceph

package cephe2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// ledger records every PUT of a fault test and what each key may hold
// afterwards. An acknowledged PUT must be readable, exactly, for good
// (until a later PUT of the key). A PUT that failed has an unknown outcome:
// the key may show the new body (intact) or what it held before, never
// anything else.
type ledger struct {
	mu   sync.Mutex
	keys map[string]*keyState
}

// keyState is what one key may hold.
type keyState struct {
	acked []byte   // body of the last acknowledged PUT; nil = none
	maybe [][]byte // bodies of PUTs that failed after it
}

// putResult classifies one PUT.
type putResult int

const (
	putAcked  putResult = iota // 200 with the right ETag
	putFailed                  // an S3 error answer (5xx)
	putBroken                  // anything else: the test has failed
)

// newLedger returns an empty ledger.
func newLedger() *ledger { return &ledger{keys: map[string]*keyState{}} }

// put writes b to key through g and records the outcome. A PUT must either
// be acknowledged with the body's ETag or fail with an S3 5xx answer; a
// transport error, a timeout or a 4xx fails the test.
func (l *ledger) put(t *testing.T, g *gateway, bucket, key string, b []byte) (putResult, error) {
	ctx, cancel := reqCtx(t)
	etag, err := putObject(ctx, g.client, bucket, key, b)
	cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	ks := l.keys[key]
	if ks == nil {
		ks = &keyState{}
		l.keys[key] = ks
	}
	switch {
	case err == nil && etag == md5Hex(b):
		ks.acked, ks.maybe = b, nil
		return putAcked, nil
	case err == nil:
		ks.maybe = append(ks.maybe, b)
		t.Errorf("PUT %s through %s: acknowledged with ETag %s, want %s", key, g.name, etag, md5Hex(b))
		return putBroken, nil
	case httpStatus(err) >= 500:
		ks.maybe = append(ks.maybe, b)
		return putFailed, err
	default:
		ks.maybe = append(ks.maybe, b)
		t.Errorf("PUT %s through %s: neither acknowledged nor an S3 5xx answer: %v", key, g.name, err)
		return putBroken, err
	}
}

// expect returns the bodies key may hold and whether it may be absent.
func (l *ledger) expect(key string) (bodies [][]byte, absentOK bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ks := l.keys[key]
	if ks == nil {
		return nil, true
	}
	if ks.acked != nil {
		bodies = append(bodies, ks.acked)
	}
	bodies = append(bodies, ks.maybe...)
	return bodies, ks.acked == nil
}

// sortedKeys returns the recorded keys in order.
func (l *ledger) sortedKeys() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.keys))
	for k := range l.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readOutcome classifies one GET against the ledger.
type readOutcome struct {
	ok     bool  // a body the key may hold, or an allowed 404
	late   bool  // ok, and the body is that of a PUT that had failed
	wrong  bool  // bytes the key may never hold: always a failure
	status int   // HTTP status of an error answer, 0 for transport errors
	err    error // the error of a failed GET
}

// check reads key through g once and compares it with the ledger. A body
// of a failed PUT, once seen, settles the key: a committed manifest does
// not un-commit, so only that body is allowed from then on.
func (l *ledger) check(t *testing.T, g *gateway, bucket, key string) readOutcome {
	ctx, cancel := reqCtx(t)
	got, etag, err := getObject(ctx, g.client, bucket, key, "")
	cancel()
	bodies, absentOK := l.expect(key)
	switch {
	case err == nil:
		for i, b := range bodies {
			if !bytes.Equal(got, b) {
				continue
			}
			if etag != md5Hex(b) {
				return readOutcome{wrong: true, err: fmt.Errorf("GET %s: right bytes, ETag %s, want %s", key, etag, md5Hex(b))}
			}
			late := i > 0 || absentOK
			if late {
				l.settle(key, b)
			}
			return readOutcome{ok: true, late: late}
		}
		return readOutcome{wrong: true, err: fmt.Errorf("GET %s: %d bytes (md5 %s) that no PUT of the key wrote", key, len(got), md5Hex(got))}
	case isNotFound(err) && absentOK:
		return readOutcome{ok: true}
	}
	return readOutcome{status: httpStatus(err), err: fmt.Errorf("GET %s: %w", key, err)}
}

// settle records that key visibly holds b, the body of a failed PUT.
func (l *ledger) settle(key string, b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ks := l.keys[key]; ks != nil {
		ks.acked, ks.maybe = b, nil
	}
}

// forget drops key from the ledger.
func (l *ledger) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// acked reports whether key has an acknowledged body.
func (l *ledger) acked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ks := l.keys[key]
	return ks != nil && ks.acked != nil
}

// verifyStats summarises one verify pass.
type verifyStats struct {
	keys    int // keys checked
	retries int // error answers retried before the key read back
	late    int // keys showing the body of a PUT that had failed
}

// String formats the stats for logs.
func (v verifyStats) String() string {
	return fmt.Sprintf("%d keys as allowed; %d retried answers; %d failed PUTs visible (intact) afterwards", v.keys, v.retries, v.late)
}

// verify reads every recorded key through g, workers at a time, and fails
// the test unless each returns what the ledger allows before deadline.
// Error answers are retried until then (placement groups re-peer for some
// seconds after an OSD changes state); wrong bytes fail at once.
func (l *ledger) verify(t *testing.T, g *gateway, bucket string, deadline time.Time, workers int) verifyStats {
	t.Helper()
	keys := l.sortedKeys()
	jobs := make(chan string)
	var mu sync.Mutex
	st := verifyStats{keys: len(keys)}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for key := range jobs {
				for {
					o := l.check(t, g, bucket, key)
					if o.ok {
						if o.late {
							mu.Lock()
							st.late++
							mu.Unlock()
						}
						break
					}
					if o.wrong {
						t.Errorf("%v", o.err)
						break
					}
					if time.Now().After(deadline) {
						what := "a failed PUT left the key unreadable"
						if l.acked(key) {
							what = "ACKNOWLEDGED WRITE LOST"
						}
						t.Errorf("%s: %v (still failing at the deadline)", what, o.err)
						// Reported once: later passes skip the key.
						l.forget(key)
						break
					}
					mu.Lock()
					st.retries++
					mu.Unlock()
					time.Sleep(time.Second)
				}
			}
		})
	}
	for _, k := range keys {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	return st
}

// tally counts the outcomes of reads or writes done during a fault.
type tally struct {
	mu     sync.Mutex
	counts map[string]int
}

// add counts one outcome.
func (c *tally) add(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[what]++
}

// String lists the counts in order.
func (c *tally) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.counts))
	for n := range c.counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%d", n, c.counts[n])
	}
	return b.String()
}

// errName names a GET/PUT error for a tally: the HTTP status and the
// S3 error message, which says which layer gave up.
func errName(err error) string {
	status := httpStatus(err)
	if status == 0 {
		return "transport error"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != "" {
		return fmt.Sprintf("%d %q", status, ae.ErrorMessage())
	}
	return fmt.Sprintf("%d %s", status, http.StatusText(status))
}

// headAbsent reports whether key is absent (404), for keys whose PUT must
// not have committed.
func headAbsent(t *testing.T, c *s3.Client, bucket, key string) error {
	ctx, cancel := reqCtx(t)
	defer cancel()
	_, _, err := getObject(ctx, c, bucket, key, "")
	if isNotFound(err) {
		return nil
	}
	if err == nil {
		return fmt.Errorf("GET %s: present", key)
	}
	return fmt.Errorf("GET %s: %w", key, err)
}
