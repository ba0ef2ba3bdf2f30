package object

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestReadGraceKeepsStreamingReads: a GET opened before an overwrite (and a
// delete) still streams the old bytes, because the old shards wait out the
// grace period; RunGC deletes them once due, and not before.
func TestReadGraceKeepsStreamingReads(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ReadGrace = time.Hour })
	e.bucket("grace")
	ctx := context.Background()
	old := randBytes(3, 200_000)
	put(t, e.s, "grace", "k", old)
	put(t, e.s, "grace", "gone", randBytes(4, 1000))

	obj, err := e.s.GetObject(ctx, GetInput{Bucket: "grace", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.s.GetObject(ctx, GetInput{Bucket: "grace", Key: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	put(t, e.s, "grace", "k", randBytes(5, 1000))
	if err := e.s.DeleteObject(ctx, "grace", "gone"); err != nil {
		t.Fatal(err)
	}
	e.wantShards(3 * 6) // old k, new k and gone: nothing deleted yet

	var buf bytes.Buffer
	if _, err := obj.WriteTo(ctx, &buf); err != nil {
		t.Fatalf("streaming the overwritten object: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), old) {
		t.Fatal("streaming the overwritten object gave other bytes")
	}
	buf.Reset()
	if _, err := gone.WriteTo(ctx, &buf); err != nil {
		t.Fatalf("streaming the deleted object: %v", err)
	}

	// Not yet due: nothing goes.
	res, err := e.s.RunGC(ctx, time.Now())
	if err != nil || res.Records != 0 {
		t.Fatalf("RunGC before the grace: %+v, %v", res, err)
	}
	e.wantShards(3 * 6)
	// A fresh Store (a restarted gateway) finds the durable records.
	s2 := e.open(func(o *Options) { o.ReadGrace = time.Hour })
	res, err = s2.RunGC(ctx, time.Now().Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 2 || res.Shards != 12 || res.Bytes <= 200_000 {
		t.Fatalf("RunGC after the grace: %+v", res)
	}
	e.wantShards(6) // only the new k remains
	if res, err := s2.RunGC(ctx, time.Now().Add(2*time.Hour)); err != nil || res.Records != 0 {
		t.Fatalf("second RunGC: %+v, %v", res, err)
	}
	mustRead(t, s2, "grace", "k")
}
