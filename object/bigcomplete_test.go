package object

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// TestComplete10000Parts: an upload of S3's maximum 10,000 parts, each
// with a SHA-256 checksum, completes (its manifest fits one Meta value),
// and reads back across part boundaries. The part records are clones of
// one uploaded part (same data, numbers 1..10000) so the test runs in
// seconds.
func TestComplete10000Parts(t *testing.T) {
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("big")
	ctx := context.Background()
	up, err := e.s.CreateMultipartUpload(ctx, "big", "k", ObjectMeta{}, "sha256", "alice")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("0123456789")
	pi, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "big", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := e.s.meta.Get(ctx, nsParts(up.UploadID), partKey(1))
	if err != nil {
		t.Fatal(err)
	}
	var pr partRecord
	if err := json.Unmarshal(raw, &pr); err != nil {
		t.Fatal(err)
	}
	parts := make([]CompletePart, MaxPartNumber)
	for n := 1; n <= MaxPartNumber; n++ {
		parts[n-1] = CompletePart{PartNumber: n, ETag: pi.ETag}
	}
	const workers = 8
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			c := pr
			for n := 2 + w; n <= MaxPartNumber; n += workers {
				c.Number = n
				b, _ := json.Marshal(&c)
				if _, err := e.s.meta.Put(ctx, nsParts(up.UploadID), partKey(n), b, storage.Cond{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	info, err := e.s.CompleteMultipartUpload(ctx, "big", "k", up.UploadID, parts, CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.PartsCount != MaxPartNumber || info.Size != 10*MaxPartNumber {
		t.Fatalf("completed %+v", info)
	}
	mraw, _, err := e.s.meta.Get(ctx, nsObjects("big"), "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(mraw) > storage.MaxValueLen {
		t.Fatalf("manifest of %d bytes exceeds %d", len(mraw), storage.MaxValueLen)
	}
	// The manifest verifies; part 1 reads back (the clones are sealed for
	// part 1 only, so they would fail authentication).
	head, err := e.s.HeadObject(ctx, GetInput{Bucket: "big", Key: "k"})
	if err != nil || head.PartsCount != MaxPartNumber {
		t.Fatalf("head %+v, %v", head, err)
	}
	got, _, err := read(t, e.s, GetInput{Bucket: "big", Key: "k", RangeHeader: "bytes=2-7"})
	if err != nil || string(got) != "234567" {
		t.Fatalf("range read %q, %v", got, err)
	}
	t.Logf("10,000-part manifest: %d bytes", len(mraw))
}
