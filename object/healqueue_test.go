package object

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// healKeys lists the sys/heal records.
func healKeys(t testing.TB, s *Store) []string {
	t.Helper()
	var out []string
	if err := s.eachEntry(context.Background(), nsHeal, func(e storage.Entry) error {
		out = append(out, e.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDegradedWritesAreQueued: a PUT, a part and a Complete acknowledged
// with 5 of 6 shards leave durable heal records; 4 of 6 is refused; a
// heal record that cannot be written fails the request.
func TestDegradedWritesAreQueued(t *testing.T) {
	f := &faults{}
	e := newEnv(t, withFaults(f))
	e.bucket("deg")
	ctx := context.Background()
	put(t, e.s, "deg", "whole", randBytes(1, 1000))
	if got := healKeys(t, e.s); len(got) != 0 {
		t.Fatalf("heal records after a full write: %q", got)
	}
	f.down[2].Store(true)
	data := randBytes(2, 20_000)
	put(t, e.s, "deg", "five", data)
	up, err := e.s.CreateMultipartUpload(ctx, "deg", "mp", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	pi, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "deg", Key: "mp", Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{healObjectKey("deg", "five"), healPartKey(up.UploadID, 1)}
	if got := healKeys(t, e.s); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("heal records %q, want %q", got, want)
	}
	f.down[2].Store(false)
	if _, err := e.s.CompleteMultipartUpload(ctx, "deg", "mp", up.UploadID, []CompletePart{{PartNumber: 1, ETag: pi.ETag}}, CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := healKeys(t, e.s); len(got) != 3 || got[1] != healObjectKey("deg", "mp") {
		t.Fatalf("heal records after Complete %q", got)
	}
	if got := mustRead(t, e.s, "deg", "five"); !bytes.Equal(got, data) {
		t.Fatal("degraded object reads other bytes")
	}

	// Below the write quorum: refused, nothing visible.
	f.down[0].Store(true)
	f.down[3].Store(true)
	_, err = e.s.PutObject(ctx, PutInput{Bucket: "deg", Key: "four", Body: bytes.NewReader(data), Size: int64(len(data))})
	wantErr(t, err, ErrDataUnavailable)
	_, err = e.s.HeadObject(ctx, GetInput{Bucket: "deg", Key: "four"})
	wantErr(t, err, ErrNoSuchKey)
	f.down[0].Store(false)

	// The heal record cannot be written: the degraded PUT fails.
	f.failNS = nsHeal
	_, err = e.s.PutObject(ctx, PutInput{Bucket: "deg", Key: "unqueued", Body: bytes.NewReader(data), Size: int64(len(data))})
	if !errors.Is(err, errInjected) {
		t.Fatalf("PUT without its heal record: %v", err)
	}
	_, err = e.s.HeadObject(ctx, GetInput{Bucket: "deg", Key: "unqueued"})
	wantErr(t, err, ErrNoSuchKey)
}
