package object

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

func tagsOf(kv ...string) []Tag {
	var out []Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Tag{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func wantTags(t testing.TB, s *Store, bucket, key string, want []Tag) {
	t.Helper()
	got, err := s.GetObjectTagging(context.Background(), bucket, key)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("tags of %s/%s = %v, %v; want %v", bucket, key, got, err, want)
	}
	info, err := s.HeadObject(context.Background(), GetInput{Bucket: bucket, Key: key})
	if err != nil || info.TagCount != len(want) {
		t.Fatalf("HEAD %s/%s TagCount = %d, %v; want %d", bucket, key, info.TagCount, err, len(want))
	}
}

func putTagged(t testing.TB, s *Store, bucket, key string, data []byte, tags []Tag) {
	t.Helper()
	_, err := s.PutObject(context.Background(), PutInput{
		Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), Owner: "alice",
		Meta: ObjectMeta{Tags: tags},
	})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func TestValidateTags(t *testing.T) {
	many := func(n int) []Tag {
		var out []Tag
		for i := range n {
			out = append(out, Tag{Key: "k" + strings.Repeat("x", i), Value: "v"})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		tags []Tag
		max  int
		ok   bool
	}{
		{"none", nil, MaxObjectTags, true},
		{"ten", many(10), MaxObjectTags, true},
		{"eleven", many(11), MaxObjectTags, false},
		{"fifty on a bucket", many(50), MaxBucketTags, true},
		{"fifty-one on a bucket", many(51), MaxBucketTags, false},
		{"empty value", tagsOf("k", ""), MaxObjectTags, true},
		{"empty key", tagsOf("", "v"), MaxObjectTags, false},
		{"key of 128 runes", tagsOf(strings.Repeat("é", 128), "v"), MaxObjectTags, true},
		{"key of 129", tagsOf(strings.Repeat("a", 129), "v"), MaxObjectTags, false},
		{"value of 256 runes", tagsOf("k", strings.Repeat("ü", 256)), MaxObjectTags, true},
		{"value of 257", tagsOf("k", strings.Repeat("a", 257)), MaxObjectTags, false},
		{"duplicate key", tagsOf("k", "1", "k", "2"), MaxObjectTags, false},
		{"reserved prefix", tagsOf("aws:cloudformation", "v"), MaxObjectTags, false},
		{"reserved prefix any case", tagsOf("AWS:x", "v"), MaxObjectTags, false},
		{"invalid UTF-8", tagsOf("k\xff", "v"), MaxObjectTags, false},
	} {
		err := ValidateTags(tc.tags, tc.max)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidTag)) {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestObjectTaggingRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("tagb")
	s := e.s
	_, err := s.GetObjectTagging(ctx, "tagb", "k")
	wantErr(t, err, ErrNoSuchKey)
	wantErr(t, s.PutObjectTagging(ctx, "tagb", "k", tagsOf("a", "1")), ErrNoSuchKey)
	wantErr(t, s.PutObjectTagging(ctx, "nob", "k", tagsOf("a", "1")), ErrNoSuchBucket)

	put(t, s, "tagb", "k", []byte("data"))
	wantTags(t, s, "tagb", "k", nil)
	set := tagsOf("b", "2", "a", "1")
	if err := s.PutObjectTagging(ctx, "tagb", "k", set); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "k", set) // order preserved
	// A rejected set changes nothing.
	wantErr(t, s.PutObjectTagging(ctx, "tagb", "k", tagsOf("a", "1", "a", "2")), ErrInvalidTag)
	wantTags(t, s, "tagb", "k", set)
	if err := s.PutObjectTagging(ctx, "tagb", "k", tagsOf("c", "3")); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "k", tagsOf("c", "3"))
	if err := s.DeleteObjectTagging(ctx, "tagb", "k"); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "k", nil)
	if _, _, err := s.meta.Get(ctx, nsTags("tagb"), "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tag record after DeleteObjectTagging: %v", err)
	}
	if err := s.DeleteObjectTagging(ctx, "tagb", "k"); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, s, "tagb", "k"); string(got) != "data" {
		t.Fatalf("data = %q", got)
	}
}

func TestPutObjectTagsAndOverwrite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("tagb")
	s := e.s
	_, err := s.PutObject(ctx, PutInput{Bucket: "tagb", Key: "k", Body: strings.NewReader("x"), Size: 1,
		Meta: ObjectMeta{Tags: make([]Tag, 11)}})
	wantErr(t, err, ErrInvalidTag)
	if _, err := s.HeadObject(ctx, GetInput{Bucket: "tagb", Key: "k"}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("rejected PUT left an object: %v", err)
	}

	putTagged(t, s, "tagb", "k", []byte("v1"), tagsOf("gen", "1"))
	wantTags(t, s, "tagb", "k", tagsOf("gen", "1"))
	obj, err := s.GetObject(ctx, GetInput{Bucket: "tagb", Key: "k"})
	if err != nil || obj.Info.TagCount != 1 || obj.Info.Meta.Tags != nil {
		t.Fatalf("GET info %+v, %v", obj.Info, err)
	}
	if _, err := obj.WriteTo(ctx, new(bytes.Buffer)); err != nil {
		t.Fatal(err)
	}

	// An overwrite without tags drops them: the old record names the old object.
	put(t, s, "tagb", "k", []byte("v2"))
	wantTags(t, s, "tagb", "k", nil)
	// An overwrite with tags replaces them.
	putTagged(t, s, "tagb", "k", []byte("v3"), tagsOf("gen", "3", "x", "y"))
	wantTags(t, s, "tagb", "k", tagsOf("gen", "3", "x", "y"))

	// Delete drops the record, and a new object at the key starts bare.
	if err := s.DeleteObject(ctx, "tagb", "k"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.meta.Get(ctx, nsTags("tagb"), "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("tag record after DeleteObject: %v", err)
	}
	put(t, s, "tagb", "k", []byte("v4"))
	wantTags(t, s, "tagb", "k", nil)

	// A stale record (left by a crash) is ignored, then cleaned by DELETE.
	putTagged(t, s, "tagb", "s", []byte("a"), tagsOf("old", "1"))
	put(t, s, "tagb", "s", []byte("b"))
	if _, _, err := s.meta.Get(ctx, nsTags("tagb"), "s"); err != nil {
		t.Fatalf("expected the stale record to remain until cleanup: %v", err)
	}
	wantTags(t, s, "tagb", "s", nil)
	if err := s.DeleteObject(ctx, "tagb", "s"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.meta.Get(ctx, nsTags("tagb"), "s"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("stale tag record after DeleteObject: %v", err)
	}
}

func TestCopyObjectTagging(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("tagb")
	s := e.s
	putTagged(t, s, "tagb", "src", []byte("source"), tagsOf("team", "a"))

	// COPY (the default) carries the source's tags.
	if _, err := s.CopyObject(ctx, CopyInput{SrcBucket: "tagb", SrcKey: "src"}, "tagb", "c1"); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "c1", tagsOf("team", "a"))
	// REPLACE sets the given tags, or none.
	if _, err := s.CopyObject(ctx, CopyInput{SrcBucket: "tagb", SrcKey: "src", ReplaceTags: true, Tags: tagsOf("team", "b")}, "tagb", "c2"); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "c2", tagsOf("team", "b"))
	if _, err := s.CopyObject(ctx, CopyInput{SrcBucket: "tagb", SrcKey: "src", ReplaceTags: true}, "tagb", "c1"); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "c1", nil)
	_, err := s.CopyObject(ctx, CopyInput{SrcBucket: "tagb", SrcKey: "src", ReplaceTags: true, Tags: tagsOf("aws:x", "1")}, "tagb", "c3")
	wantErr(t, err, ErrInvalidTag)
	// A self-copy (REPLACE metadata) keeps the tags with COPY.
	if _, err := s.CopyObject(ctx, CopyInput{SrcBucket: "tagb", SrcKey: "src", ReplaceMeta: true}, "tagb", "src"); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "src", tagsOf("team", "a"))
	wantTags(t, s, "tagb", "c2", tagsOf("team", "b"))
}

func TestMultipartTagsAppliedAtComplete(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("tagb")
	s := e.s
	_, err := s.CreateMultipartUpload(ctx, "tagb", "mp", ObjectMeta{Tags: tagsOf("a", "1", "a", "1")}, "", "alice")
	wantErr(t, err, ErrInvalidTag)
	putTagged(t, s, "tagb", "mp", []byte("old"), tagsOf("old", "1"))
	up, err := s.CreateMultipartUpload(ctx, "tagb", "mp", ObjectMeta{Tags: tagsOf("stage", "done")}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	// Until Complete the key's object keeps its own tags.
	p := uploadPart(t, s, "tagb", "mp", up.UploadID, 1, []byte("part one"))
	wantTags(t, s, "tagb", "mp", tagsOf("old", "1"))
	if _, err := s.CompleteMultipartUpload(ctx, "tagb", "mp", up.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{}); err != nil {
		t.Fatal(err)
	}
	wantTags(t, s, "tagb", "mp", tagsOf("stage", "done"))
}

func TestBucketTaggingLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.s
	wantErr(t, s.PutBucketTagging(ctx, "tagb", tagsOf("a", "1")), ErrNoSuchBucket)
	e.bucket("tagb")
	_, err := s.GetBucketTagging(ctx, "tagb")
	wantErr(t, err, ErrNoSuchTagSet)
	if err := s.DeleteBucketTagging(ctx, "tagb"); err != nil {
		t.Fatal(err)
	}
	set := tagsOf("cost", "42", "env", "prod")
	if err := s.PutBucketTagging(ctx, "tagb", set); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetBucketTagging(ctx, "tagb"); err != nil || !slices.Equal(got, set) {
		t.Fatalf("GetBucketTagging = %v, %v", got, err)
	}
	wantErr(t, s.PutBucketTagging(ctx, "tagb", tagsOf("aws:x", "1")), ErrInvalidTag)
	if err := s.DeleteBucketTagging(ctx, "tagb"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetBucketTagging(ctx, "tagb")
	wantErr(t, err, ErrNoSuchTagSet)

	// Tag records never block DeleteBucket, and go with the bucket: a
	// bucket re-created under the name starts without them.
	if err := s.PutBucketTagging(ctx, "tagb", set); err != nil {
		t.Fatal(err)
	}
	putTagged(t, s, "tagb", "k", []byte("x"), tagsOf("a", "1"))
	putTagged(t, s, "tagb", "stale", []byte("x"), tagsOf("a", "1"))
	if err := s.DeleteObject(ctx, "tagb", "k"); err != nil {
		t.Fatal(err)
	}
	// Leave a record behind, as a crash between the manifest delete and
	// the tag cleanup would.
	raw, _, err := s.meta.Get(ctx, nsTags("tagb"), "stale")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, "tagb", "stale"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.meta.Put(ctx, nsTags("tagb"), "stale", raw, storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "tagb"); err != nil {
		t.Fatalf("DeleteBucket with only tag records left: %v", err)
	}
	if page, err := s.meta.List(ctx, nsTags("tagb"), "", "", 10); err != nil || len(page) != 0 {
		t.Fatalf("object tag records after DeleteBucket: %d, %v", len(page), err)
	}
	e.bucket("tagb")
	_, err = s.GetBucketTagging(ctx, "tagb")
	wantErr(t, err, ErrNoSuchTagSet)
}
