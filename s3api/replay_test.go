package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"testing"
	"time"
)

func sigOf(b byte, i int) [32]byte {
	var s [32]byte
	s[0], s[1], s[2] = b, byte(i), byte(i>>8)
	return s
}

func TestReplayCacheUnit(t *testing.T) {
	skew := 5 * time.Minute
	c := newReplayCache(replayShards*16, skew)
	at := testNow
	a := sigOf(1, 1)
	if !c.admit(a, at, at) {
		t.Fatal("first admit refused")
	}
	if c.admit(a, at, at.Add(time.Minute)) {
		t.Fatal("replay inside the window admitted")
	}
	if !c.seen(a, at.Add(skew)) || c.seen(a, at.Add(skew+time.Second)) {
		t.Fatal("seen: wrong window")
	}
	// Past date + skew the verifier refuses the request anyway; the cache
	// no longer needs it and admits it (the clock check is what refuses).
	if !c.admit(a, at, at.Add(skew+time.Second)) {
		t.Fatal("expired entry still refuses")
	}
	// forget: a failed request's resend is admitted.
	b := sigOf(2, 1)
	c.admit(b, at, at)
	c.forget(b)
	if !c.admit(b, at, at) {
		t.Fatal("forgotten signature refused")
	}
	// Bounded: a shard holds 16; the 17th in one shard evicts the oldest
	// and counts it.
	for i := range 17 {
		if !c.admit(sigOf(3, 100+i), at, at) {
			t.Fatalf("distinct signature %d refused", i)
		}
	}
	if c.evicted.Load() != 1 {
		t.Fatalf("evicted %d, want 1", c.evicted.Load())
	}
	if !c.admit(sigOf(3, 100), at, at) { // the evicted one
		t.Fatal("evicted signature still refused")
	}
	if c.admit(sigOf(3, 116), at, at) { // the newest is kept
		t.Fatal("newest signature lost")
	}
	// Expired entries are reclaimed before anything live is evicted.
	later := at.Add(skew + time.Minute)
	before := c.evicted.Load()
	for i := range 16 {
		c.admit(sigOf(3, 300+i), later, later)
	}
	if c.evicted.Load() != before {
		t.Fatalf("live entries evicted while expired ones were there (%d)", c.evicted.Load()-before)
	}
}

// A shard's ring grows on demand up to its bound, keeping arrival order
// across a wrapped ring: the bound holds every live entry, and the next
// admit evicts the oldest of them.
func TestReplayCacheGrows(t *testing.T) {
	skew := 5 * time.Minute
	c := newReplayCache(replayShards*40, skew) // 40 a shard: ring 16, 32, 40
	at, later := testNow, testNow.Add(skew+time.Minute)
	for i := range 10 {
		c.admit(sigOf(5, i), at, at)
	}
	if n := len(c.shard(&[32]byte{5}).ring); n != replayMinRing {
		t.Fatalf("a shard holding 10 entries has a ring of %d", n)
	}
	for i := 10; i < 50; i++ { // the first ten expire; the ring wraps, then grows
		if !c.admit(sigOf(5, i), later, later) {
			t.Fatalf("signature %d refused", i)
		}
	}
	sh := c.shard(&[32]byte{5})
	if c.evicted.Load() != 0 || sh.n != 40 || len(sh.ring) != 40 {
		t.Fatalf("evicted %d, %d entries in a ring of %d", c.evicted.Load(), sh.n, len(sh.ring))
	}
	for i := 10; i < 50; i++ {
		if !c.seen(sigOf(5, i), later) {
			t.Fatalf("signature %d lost while growing", i)
		}
	}
	c.admit(sigOf(5, 50), later, later)
	if c.evicted.Load() != 1 || c.seen(sigOf(5, 10), later) || !c.seen(sigOf(5, 11), later) {
		t.Fatalf("full shard evicted %d, not the oldest live entry first", c.evicted.Load())
	}
}

func TestReplayCacheAllocs(t *testing.T) {
	c := newReplayCache(replayShards*64, 5*time.Minute)
	i := 0
	for range replayShards * 64 { // grow every shard to its bound first
		i++
		c.admit(sigOf(byte(i), i), testNow, testNow)
	}
	n := testing.AllocsPerRun(1000, func() {
		i++
		c.admit(sigOf(byte(i), i), testNow, testNow)
	})
	if n > 0 {
		t.Fatalf("%v allocations per admit", n)
	}
}

// replayEnv is a server whose own clock agrees with the verifier's, so
// the replay window is the real one.
func replayEnv(t *testing.T) (*testEnv, *auditSink) {
	sink := &auditSink{}
	e := newTestEnv(t, func(o *Options) {
		o.Audit = sink
		o.Now = func() time.Time { return testNow }
	})
	return e, sink
}

func TestReplayRefused(t *testing.T) {
	e, sink := replayEnv(t)
	e.mkBucket("bkt")
	first := req{method: http.MethodPut, path: "/bkt/k", body: []byte("one")}
	mustStatus(t, e.do(first), 200, "")
	// The object changes, then the first PUT is replayed byte for byte.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", body: []byte("two"), signTime: testNow.Add(time.Second)}), 200, "")
	mustStatus(t, e.do(first), 403, "AccessDenied")
	if got := e.layer.buckets["bkt"].objects["k"].data; !bytes.Equal(got, []byte("two")) {
		t.Fatalf("replay changed the object to %q", got)
	}
	// A retry signed anew (one second later, as an SDK's next attempt
	// carries a new date or attempt header) is served.
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/k", body: []byte("one"), signTime: testNow.Add(2 * time.Second)}), 200, "")

	// A repeated CompleteMultipartUpload is S3's idempotent answer, not a
	// replay: it is not guarded (the handler's own rules apply).
	res := e.do(req{method: http.MethodPost, path: "/bkt/m", query: "uploads"})
	mustStatus(t, res, 200, "")
	var up struct{ UploadId string }
	if err := xml.Unmarshal(res.body, &up); err != nil || up.UploadId == "" {
		t.Fatalf("upload: %v %s", err, res.body)
	}
	part := e.do(req{method: http.MethodPut, path: "/bkt/m", query: "partNumber=1&uploadId=" + up.UploadId, body: []byte("part one")})
	mustStatus(t, part, 200, "")
	complete := req{method: http.MethodPost, path: "/bkt/m", query: "uploadId=" + up.UploadId,
		body: []byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + part.hdr.Get("ETag") + "</ETag></Part></CompleteMultipartUpload>")}
	mustStatus(t, e.do(complete), 200, "")
	if again := e.do(complete); again.status == 403 {
		t.Fatalf("a repeated Complete was refused as a replay: %s", again.body)
	}

	// Reads are not state-changing: the same GET twice is served.
	get := req{method: http.MethodGet, path: "/bkt/k"}
	mustStatus(t, e.do(get), 200, "")
	mustStatus(t, e.do(get), 200, "")

	// Presigned URLs are exempt (docs/SECURITY.md): their holder cannot
	// re-sign them, so a retry is an exact copy.
	pre := req{method: http.MethodPut, path: "/bkt/p", body: []byte("p"), auth: authPresign, payload: "UNSIGNED-PAYLOAD"}
	mustStatus(t, e.do(pre), 200, "")
	mustStatus(t, e.do(pre), 200, "")

	// Streaming-signed bodies: the seed signature is the key.
	st := req{method: http.MethodPut, path: "/bkt/s", body: []byte("streamed"), auth: authStreamSigned}
	mustStatus(t, e.do(st), 200, "")
	mustStatus(t, e.do(st), 403, "AccessDenied")

	// A refused request is forgotten: the same bytes sent again (a client
	// resending after the refusal) are served and refused the same way.
	adm := req{method: http.MethodPost, path: AdminPrefix + "no-such-endpoint"}
	mustStatus(t, e.do(adm), 400, "InvalidRequest")
	mustStatus(t, e.do(adm), 400, "InvalidRequest")
	// Admin reads are not guarded, so a script may poll twice in one
	// second.
	admGet := req{method: http.MethodGet, path: AdminPrefix + "no-such-endpoint"}
	mustStatus(t, e.do(admGet), 400, "InvalidRequest")
	mustStatus(t, e.do(admGet), 400, "InvalidRequest")
	// Presigned URLs never reach the admin API.
	mustStatus(t, e.do(req{method: http.MethodGet, path: AdminPrefix + "status", auth: authPresign}), 403, "AccessDenied")
	// A 5xx answer is forgotten too.
	st5 := req{method: http.MethodPost, path: AdminPrefix + "heal"}
	mustStatus(t, e.do(st5), 501, "NotImplemented")
	mustStatus(t, e.do(st5), 501, "NotImplemented")
	// A successful admin write is guarded.
	e.mkBucket("bkt2")
	mkb := req{method: http.MethodDelete, path: "/bkt2"}
	mustStatus(t, e.do(mkb), 204, "")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt2", signTime: testNow.Add(3 * time.Second)}), 200, "")
	mustStatus(t, e.do(mkb), 403, "AccessDenied")
	if _, ok := e.layer.buckets["bkt2"]; !ok {
		t.Fatal("a replayed DeleteBucket removed the re-created bucket")
	}

	// A replay announced with Expect: 100-continue is refused before the
	// body is sent.
	ex := req{method: http.MethodPut, path: "/bkt/e", body: []byte("e"), hdr: [][2]string{{"Expect", "100-continue"}}}
	raw := e.build(ex)
	c, br := e.dial()
	if _, err := c.Write(raw); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, e.read(br, false), 100, "")
	mustStatus(t, e.read(br, false), 200, "")
	c2, br2 := e.dial()
	if _, err := c2.Write(raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, e.read(br2, false), 403, "AccessDenied")

	n := 0
	for _, r := range sink.all() {
		if r.Decision == "deny:replay" {
			n++
			if r.Status != 403 || r.ErrorCode != "AccessDenied" || r.AccessKey != testAK {
				t.Errorf("replay record %+v", r)
			}
		}
	}
	if n != 4 {
		t.Fatalf("%d deny:replay records, want 4", n)
	}
}

func TestReplayCacheDisabled(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.ReplayCacheSize = -1
		o.Now = func() time.Time { return testNow }
	})
	e.mkBucket("bkt")
	r := req{method: http.MethodPut, path: "/bkt/k", body: []byte("one")}
	mustStatus(t, e.do(r), 200, "")
	mustStatus(t, e.do(r), 200, "")
}

// BenchmarkReplayAdmit is the replay cache's cost on a write's path: one
// admit of a fresh signature, in a cache at its bound.
func BenchmarkReplayAdmit(b *testing.B) {
	c := newReplayCache(DefaultReplayCacheSize, 5*time.Minute)
	var sig [32]byte
	for i := range DefaultReplayCacheSize { // fill it: steady state evicts one per admit
		s := sig
		s[0], s[1], s[2], s[31] = byte(i), byte(i>>8), byte(i>>16), 0xff
		c.admit(s, testNow, testNow)
	}
	b.ResetTimer()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var i uint64
		for pb.Next() {
			i++
			s := sig
			for j := range 8 {
				s[j] = byte(i >> (8 * j))
			}
			s[8] = byte(b.N)
			c.admit(s, testNow, testNow)
		}
	})
}
