package object

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
)

// TestConditionalPut: If-None-Match: * creates only; If-Match replaces only
// the named version; a refused write leaves the object and no garbage.
func TestConditionalPut(t *testing.T) {
	e := newEnv(t)
	e.bucket("cond")
	ctx := context.Background()
	putIf := func(key string, data []byte, c WriteCondition) (ObjectInfo, error) {
		return e.s.PutObject(ctx, PutInput{Bucket: "cond", Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), Cond: c})
	}
	first, err := putIf("k", []byte("one"), WriteCondition{IfNoneMatch: true})
	if err != nil {
		t.Fatalf("create-only PUT of a new key: %v", err)
	}
	shards := len(e.shardFiles())
	_, err = putIf("k", []byte("two"), WriteCondition{IfNoneMatch: true})
	wantErr(t, err, ErrPreconditionFailed)
	_, err = putIf("k", []byte("two"), WriteCondition{IfMatch: "0123456789abcdef0123456789abcdef"})
	wantErr(t, err, ErrPreconditionFailed)
	_, err = putIf("absent", []byte("x"), WriteCondition{IfMatch: "*"})
	wantErr(t, err, ErrNoSuchKey)
	if got := mustRead(t, e.s, "cond", "k"); string(got) != "one" {
		t.Fatalf("refused writes changed the object to %q", got)
	}
	e.wantShards(shards)
	if _, err := putIf("k", []byte("two"), WriteCondition{IfMatch: first.ETag}); err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	if _, err := putIf("k", []byte("three"), WriteCondition{IfMatch: first.ETag}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-Match with a replaced ETag: %v", err)
	}
	if _, err := putIf("k", []byte("three"), WriteCondition{IfMatch: "*"}); err != nil {
		t.Fatalf("If-Match: * over an object: %v", err)
	}
}

// TestConditionalPutRace: of many concurrent create-only PUTs of one key
// exactly one succeeds, and the key holds its bytes.
func TestConditionalPutRace(t *testing.T) {
	e := newEnv(t)
	e.bucket("race")
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			data := randBytes(uint64(i), 20_000)
			_, errs[i] = e.s.PutObject(ctx, PutInput{Bucket: "race", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data)), Cond: WriteCondition{IfNoneMatch: true}})
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("two create-only PUTs succeeded: %d and %d", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, ErrPreconditionFailed):
			t.Fatalf("PUT %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no create-only PUT succeeded")
	}
	if got := mustRead(t, e.s, "race", "k"); !bytes.Equal(got, randBytes(uint64(winner), 20_000)) {
		t.Fatal("the key holds other bytes than the winner's")
	}
	e.wantShards(6) // the losers' data is gone
}

// TestConditionalComplete: a CompleteMultipartUpload with If-None-Match: *
// over an existing key is refused and the upload stays completable.
func TestConditionalComplete(t *testing.T) {
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("cmpl")
	ctx := context.Background()
	put(t, e.s, "cmpl", "k", []byte("existing"))
	up, err := e.s.CreateMultipartUpload(ctx, "cmpl", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	p := uploadPart(t, e.s, "cmpl", "k", up.UploadID, 1, []byte("new"))
	parts := []CompletePart{{PartNumber: 1, ETag: p.ETag}}
	_, err = e.s.CompleteMultipartUpload(ctx, "cmpl", "k", up.UploadID, parts, CompleteOptions{Cond: WriteCondition{IfNoneMatch: true}})
	wantErr(t, err, ErrPreconditionFailed)
	if got := mustRead(t, e.s, "cmpl", "k"); string(got) != "existing" {
		t.Fatalf("refused Complete changed the object to %q", got)
	}
	if _, err := e.s.CompleteMultipartUpload(ctx, "cmpl", "k", up.UploadID, parts, CompleteOptions{}); err != nil {
		t.Fatalf("Complete after a refused conditional one: %v", err)
	}
	if got := mustRead(t, e.s, "cmpl", "k"); string(got) != "new" {
		t.Fatalf("completed object reads %q", got)
	}
}
