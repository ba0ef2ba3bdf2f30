package object

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestReadGraceKeepsStreamingReads: a GET opened before an overwrite (and a
// delete) still streams the old bytes, because the old shards wait out the
// grace period; Close then deletes them.
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

	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	e.wantShards(6) // only the new k remains
	// After Close, retirement is immediate.
	put(t, e.s, "grace", "k", randBytes(6, 1000))
	e.wantShards(6)
}
