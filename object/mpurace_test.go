package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// onFirstRead runs fn before the first byte of r is read.
type onFirstRead struct {
	r    io.Reader
	once sync.Once
	fn   func()
}

func (o *onFirstRead) Read(p []byte) (int, error) {
	o.once.Do(o.fn)
	return o.r.Read(p)
}

// hookMeta runs a callback on Meta.Get of one key (after the first n gets).
type hookMeta struct {
	storage.Meta
	ns, key string
	skip    int
	hook    func()
	mu      sync.Mutex
	seen    int
}

func (h *hookMeta) Get(ctx context.Context, ns, key string) ([]byte, storage.Version, error) {
	if ns == h.ns && key == h.key {
		h.mu.Lock()
		h.seen++
		fire := h.seen == h.skip+1
		h.mu.Unlock()
		if fire {
			h.hook()
		}
	}
	return h.Meta.Get(ctx, ns, key)
}

func TestPartUploadRacesAbort(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	other := e.open()
	e.bucket("data")
	uploadID, err := uploadPartRacingAbort(t, e, other, 1)
	wantErr(t, err, ErrNoSuchUpload)
	e.wantShards(0)
	if left, _ := e.s.meta.List(ctx, nsParts(uploadID), "", "", 10); len(left) != 0 {
		t.Fatalf("%d part records left", len(left))
	}
}

// uploadPartRacingAbort creates an upload of data/k holding part 1, then
// uploads part n while other aborts the upload as soon as the gateway
// starts reading the body; it returns the upload ID and UploadPart's error.
func uploadPartRacingAbort(t *testing.T, e *testEnv, other *Store, n int) (string, error) {
	t.Helper()
	ctx := context.Background()
	up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	uploadPart(t, e.s, "data", "k", up.UploadID, 1, []byte("old part"))
	data := randBytes(1, testChunk+1)
	body := &onFirstRead{r: bytes.NewReader(data), fn: func() {
		if err := other.AbortMultipartUpload(ctx, "data", "k", up.UploadID); err != nil {
			t.Errorf("abort: %v", err)
		}
	}}
	_, err = e.s.UploadPart(ctx, up.UploadID, n, PutInput{Bucket: "data", Key: "k", Body: body, Size: int64(len(data))})
	return up.UploadID, err
}

func TestPartReplaceRacesComplete(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	other := e.open()
	e.bucket("data")
	oldData, newData := []byte("old part"), []byte("new part!")
	newSum := md5.Sum(newData)
	newETag := hex.EncodeToString(newSum[:])

	t.Run("completed before the part commits", func(t *testing.T) {
		up, err := e.s.CreateMultipartUpload(ctx, "data", "a", ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		old := uploadPart(t, e.s, "data", "a", up.UploadID, 1, oldData)
		body := &onFirstRead{r: bytes.NewReader(newData), fn: func() {
			if _, err := other.CompleteMultipartUpload(ctx, "data", "a", up.UploadID, []CompletePart{{1, old.ETag, nil}}, CompleteOptions{}); err != nil {
				t.Errorf("complete: %v", err)
			}
		}}
		_, err = e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "data", Key: "a", Body: body, Size: int64(len(newData))})
		wantErr(t, err, ErrNoSuchUpload)
		if got := mustRead(t, e.s, "data", "a"); !bytes.Equal(got, oldData) {
			t.Fatalf("object %q", got)
		}
		e.wantShards(6)
	})

	t.Run("completed between part commit and re-check", func(t *testing.T) {
		up, err := e.s.CreateMultipartUpload(ctx, "data", "b", ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		uploadPart(t, e.s, "data", "b", up.UploadID, 1, oldData)
		real := e.s.meta
		defer func() { e.s.meta = real }()
		// Get #1 is UploadPart's own lookup; #2 is its re-check.
		e.s.meta = &hookMeta{Meta: real, ns: nsUploads("data"), key: uploadKey("b", up.UploadID), skip: 1, hook: func() {
			if _, err := other.CompleteMultipartUpload(ctx, "data", "b", up.UploadID, []CompletePart{{1, newETag, nil}}, CompleteOptions{}); err != nil {
				t.Errorf("complete: %v", err)
			}
		}}
		p, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "data", Key: "b", Body: bytes.NewReader(newData), Size: int64(len(newData))})
		if err != nil || p.ETag != newETag {
			t.Fatalf("part that made it into the object: %+v %v", p, err)
		}
		if got := mustRead(t, e.s, "data", "b"); !bytes.Equal(got, newData) {
			t.Fatalf("object %q", got)
		}
		e.wantShards(12) // objects a and b; the replaced old part of b is gone
	})

	t.Run("completion in progress at re-check", func(t *testing.T) {
		up, err := e.s.CreateMultipartUpload(ctx, "data", "c", ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		uploadPart(t, e.s, "data", "c", up.UploadID, 1, oldData)
		real := e.s.meta
		defer func() { e.s.meta = real }()
		e.s.meta = &hookMeta{Meta: real, ns: nsUploads("data"), key: uploadKey("c", up.UploadID), skip: 1, hook: func() {
			rec, ver, err := other.loadUpload(ctx, "data", "c", up.UploadID, true)
			if err != nil {
				t.Error(err)
				return
			}
			rec.State, rec.Claimed = uploadCompleting, time.Now().UnixNano()
			raw, _ := json.Marshal(rec)
			if _, err := real.Put(ctx, nsUploads("data"), uploadKey("c", up.UploadID), raw, storage.Cond{IfVersion: ver}); err != nil {
				t.Error(err)
			}
		}}
		if _, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "data", Key: "c", Body: bytes.NewReader(newData), Size: int64(len(newData))}); err != nil {
			t.Fatal(err)
		}
		// The claimed upload might have stitched the old part in: kept.
		e.wantShards(12 + 12)
		// A live claim blocks abort; an expired one (crashed completer) does not.
		wantErr(t, e.s.AbortMultipartUpload(ctx, "data", "c", up.UploadID), ErrNoSuchUpload)
		later := e.open(func(o *Options) { o.Now = func() time.Time { return time.Now().Add(completeClaimTTL + time.Minute) } })
		if err := later.AbortMultipartUpload(ctx, "data", "c", up.UploadID); err != nil {
			t.Fatal(err)
		}
		e.wantShards(12 + 6) // the new part's shards went with the abort; the old one leaked
	})
}

// TestPartReplacedDuringCompleteCleanup: a part record replaced after
// Complete listed the parts (a resend that passed its own check before the
// claim) is not dropped blindly with the record Complete read: the
// guarded delete leaves it, and the last listing drops it and retires its
// data at once, so no shard is left for orphan GC.
func TestPartReplacedDuringCompleteCleanup(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := randBytes(1, 1500), randBytes(2, 1600)
	p1 := uploadPart(t, e.s, "data", "k", up.UploadID, 1, d1)
	p2 := uploadPart(t, e.s, "data", "k", up.UploadID, 2, d2)
	// The resend's data: stored as a part of another upload, whose record
	// the hook moves over.
	up2, err := e.s.CreateMultipartUpload(ctx, "data", "k2", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	uploadPart(t, e.s, "data", "k2", up2.UploadID, 1, randBytes(3, 1700))
	e.wantShards(18)
	real := e.s.meta
	defer func() { e.s.meta = real }()
	// The commit reads the key's current object after the parts were
	// listed: there part 2's record is replaced.
	e.s.meta = &hookMeta{Meta: real, ns: nsObjects("data"), key: "k", hook: func() {
		raw, _, err := real.Get(ctx, nsParts(up2.UploadID), partKey(1))
		if err != nil {
			t.Error(err)
			return
		}
		var pr partRecord
		if err := json.Unmarshal(raw, &pr); err != nil {
			t.Error(err)
			return
		}
		pr.Number = 2
		raw, _ = json.Marshal(&pr)
		if _, err := real.Put(ctx, nsParts(up.UploadID), partKey(2), raw, storage.Cond{}); err != nil {
			t.Error(err)
		}
		if err := real.Delete(ctx, nsParts(up2.UploadID), partKey(1), storage.Cond{}); err != nil {
			t.Error(err)
		}
	}}
	list := []CompletePart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag}}
	if _, err := e.s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, list, CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if left, err := real.List(ctx, nsParts(up.UploadID), "", "", 10); err != nil || len(left) != 0 {
		t.Fatalf("%d part records left (%v)", len(left), err)
	}
	if got := mustRead(t, e.s, "data", "k"); !bytes.Equal(got, append(d1, d2...)) {
		t.Fatal("completed object reads other bytes")
	}
	e.wantShards(12) // parts 1 and 2; the replacing record's data retired with it
}
