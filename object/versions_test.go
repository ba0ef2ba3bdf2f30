package object

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// versioned creates bucket name with versioning Enabled.
func (e *testEnv) versioned(name string) {
	e.t.Helper()
	e.bucket(name)
	if err := e.s.PutBucketVersioning(context.Background(), name, VersioningEnabled); err != nil {
		e.t.Fatal(err)
	}
}

func readVersion(t *testing.T, s *Store, bucket, key, vid string) ([]byte, error) {
	t.Helper()
	data, _, err := read(t, s, GetInput{Bucket: bucket, Key: key, VersionID: vid})
	return data, err
}

// listAll pages through every version of bucket with page size n.
func listAll(t *testing.T, s *Store, in VersionListInput) []VersionInfo {
	t.Helper()
	var out []VersionInfo
	for i := 0; ; i++ {
		res, err := s.ListObjectVersions(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Versions...)
		if !res.IsTruncated {
			return out
		}
		if i > 1000 {
			t.Fatal("listing does not end")
		}
		in.KeyMarker, in.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
}

func TestVersioningConfig(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bucket("vbk")
	if st, err := e.s.GetBucketVersioning(ctx, "vbk"); err != nil || st != "" {
		t.Fatalf("never configured: %q %v", st, err)
	}
	wantErr(t, e.s.PutBucketVersioning(ctx, "vbk", "On"), ErrMalformedXML)
	for _, st := range []string{VersioningEnabled, VersioningSuspended} {
		if err := e.s.PutBucketVersioning(ctx, "vbk", st); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.GetBucketVersioning(ctx, "vbk"); got != st {
			t.Fatalf("status %q, want %q", got, st)
		}
	}
}

// TestVersionedOverwriteDeleteRestore: overwrites keep old versions,
// DELETE adds a marker (GET 404 with marker info, old versions readable),
// copying an old version over the key restores it, and deleting a version
// permanently removes only it.
func TestVersionedOverwriteDeleteRestore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bucket("vbk")
	legacy := put(t, e.s, "vbk", "k", []byte("v0 before versioning"))
	if legacy.VersionID != "" {
		t.Fatalf("unversioned PUT has version id %q", legacy.VersionID)
	}
	if err := e.s.PutBucketVersioning(ctx, "vbk", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v1 := put(t, e.s, "vbk", "k", []byte("v1"))
	v2 := put(t, e.s, "vbk", "k", []byte("v2"))
	if !validVersionID(v1.VersionID) || !validVersionID(v2.VersionID) || v1.VersionID == v2.VersionID {
		t.Fatalf("version ids %q %q", v1.VersionID, v2.VersionID)
	}
	if got := mustRead(t, e.s, "vbk", "k"); string(got) != "v2" {
		t.Fatalf("latest = %q", got)
	}
	for vid, want := range map[string]string{NullVersion: "v0 before versioning", v1.VersionID: "v1", v2.VersionID: "v2"} {
		got, err := readVersion(t, e.s, "vbk", "k", vid)
		if err != nil || string(got) != want {
			t.Fatalf("version %s: %q %v, want %q", vid, got, err, want)
		}
	}
	_, err := readVersion(t, e.s, "vbk", "k", "0123456789abcdef0123456789abcdef")
	wantErr(t, err, ErrNoSuchVersion)
	_, err = readVersion(t, e.s, "vbk", "k", "not-an-id")
	wantErr(t, err, ErrInvalidArgument)

	del, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k"})
	if err != nil || !del.DeleteMarker || !validVersionID(del.VersionID) {
		t.Fatalf("delete: %+v %v", del, err)
	}
	_, err = e.s.HeadObject(ctx, GetInput{Bucket: "vbk", Key: "k"})
	var dm *DeleteMarkerError
	if !errors.Is(err, ErrNoSuchKey) || !errors.As(err, &dm) || dm.VersionID != del.VersionID {
		t.Fatalf("GET after delete: %v", err)
	}
	_, err = e.s.HeadObject(ctx, GetInput{Bucket: "vbk", Key: "k", VersionID: del.VersionID})
	if !errors.Is(err, ErrMethodNotAllowed) || !errors.As(err, &dm) {
		t.Fatalf("GET of the marker: %v", err)
	}
	if l, _ := e.s.ListObjects(ctx, ListInput{Bucket: "vbk", MaxKeys: -1}); len(l.Objects) != 0 {
		t.Fatalf("ListObjects shows %d objects behind a delete marker", len(l.Objects))
	}
	// Restore v1 by copying it over the key.
	restored, err := e.s.CopyObject(ctx, CopyInput{SrcBucket: "vbk", SrcKey: "k", SrcVersionID: v1.VersionID}, "vbk", "k")
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, e.s, "vbk", "k"); string(got) != "v1" {
		t.Fatalf("restored = %q", got)
	}
	vs := listAll(t, e.s, VersionListInput{Bucket: "vbk", MaxKeys: 1000})
	want := []string{restored.VersionID, del.VersionID, v2.VersionID, v1.VersionID, NullVersion}
	if len(vs) != len(want) {
		t.Fatalf("%d versions listed, want %d", len(vs), len(want))
	}
	for i, v := range vs {
		if v.VersionID != want[i] || v.IsLatest != (i == 0) || v.DeleteMarker != (i == 1) {
			t.Fatalf("entry %d: %s latest=%v marker=%v, want %s", i, v.VersionID, v.IsLatest, v.DeleteMarker, want[i])
		}
	}
	// Permanently delete the latest: v2... no, the restored copy; v1's
	// copy data is its own, so v1 stays readable, and the marker is latest.
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k", VersionID: restored.VersionID}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.HeadObject(ctx, GetInput{Bucket: "vbk", Key: "k"})
	wantErr(t, err, ErrNoSuchKey)
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k", VersionID: del.VersionID}); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, e.s, "vbk", "k"); string(got) != "v2" {
		t.Fatalf("after removing the marker, latest = %q", got)
	}
	wantErr(t, e.s.DeleteBucket(ctx, "vbk"), ErrBucketNotEmpty)
}

// TestSuspendedNullOverwrite: in a Suspended bucket a PUT replaces the null
// version (its data is retired) and keeps the real versions.
func TestSuspendedNullOverwrite(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.versioned("vbk")
	v1 := put(t, e.s, "vbk", "k", []byte("v1"))
	if err := e.s.PutBucketVersioning(ctx, "vbk", VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	n1 := put(t, e.s, "vbk", "k", []byte("null-1"))
	n2 := put(t, e.s, "vbk", "k", []byte("null-2"))
	if n1.VersionID != NullVersion || n2.VersionID != NullVersion {
		t.Fatalf("suspended PUT version ids %q %q", n1.VersionID, n2.VersionID)
	}
	vs := listAll(t, e.s, VersionListInput{Bucket: "vbk", MaxKeys: 1000})
	if len(vs) != 2 || vs[0].VersionID != NullVersion || !vs[0].IsLatest || vs[1].VersionID != v1.VersionID {
		t.Fatalf("versions after suspended overwrite: %+v", vs)
	}
	if got, _ := readVersion(t, e.s, "vbk", "k", NullVersion); string(got) != "null-2" {
		t.Fatalf("null version = %q", got)
	}
	if got, _ := readVersion(t, e.s, "vbk", "k", v1.VersionID); string(got) != "v1" {
		t.Fatalf("v1 = %q", got)
	}
	// The replaced null version's data is retired, the rest kept.
	if _, err := e.s.RunGC(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.wantShards(2 * 6)
	// A suspended DELETE replaces the null version with a null marker.
	res, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k"})
	if err != nil || res.VersionID != NullVersion || !res.DeleteMarker {
		t.Fatalf("suspended delete: %+v %v", res, err)
	}
	if _, err := e.s.RunGC(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.wantShards(6)
}

// TestListObjectVersionsPaging: every page size yields the same sequence,
// keys in order, versions newest first, prefixes rolled up once.
func TestListObjectVersionsPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bucket("vbk")
	put(t, e.s, "vbk", "a-legacy", []byte("x"))
	if err := e.s.PutBucketVersioning(ctx, "vbk", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	var want []string
	want = append(want, "a-legacy@null")
	for _, k := range []string{"vbk", "c", "dir/x", "dir/y", "e"} {
		var ids []string
		for i := 0; i < 3; i++ {
			ids = append([]string{put(t, e.s, "vbk", k, []byte(k)).VersionID}, ids...)
		}
		for _, id := range ids {
			want = append(want, k+"@"+id)
		}
	}
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "c"}); err != nil {
		t.Fatal(err)
	}
	all := listAll(t, e.s, VersionListInput{Bucket: "vbk", MaxKeys: 1000})
	if len(all) != len(want)+1 {
		t.Fatalf("%d entries, want %d", len(all), len(want)+1)
	}
	for _, n := range []int{1, 2, 3, 7} {
		got := listAll(t, e.s, VersionListInput{Bucket: "vbk", MaxKeys: n})
		if len(got) != len(all) {
			t.Fatalf("page %d: %d entries, want %d", n, len(got), len(all))
		}
		for i := range got {
			if got[i].Key != all[i].Key || got[i].VersionID != all[i].VersionID || got[i].IsLatest != all[i].IsLatest {
				t.Fatalf("page %d entry %d: %s@%s latest=%v, want %s@%s latest=%v", n, i,
					got[i].Key, got[i].VersionID, got[i].IsLatest, all[i].Key, all[i].VersionID, all[i].IsLatest)
			}
		}
	}
	res, err := e.s.ListObjectVersions(ctx, VersionListInput{Bucket: "vbk", Delimiter: "/", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CommonPrefixes) != 1 || res.CommonPrefixes[0] != "dir/" || len(res.Versions) != 1+3+4+3 {
		t.Fatalf("delimiter listing: %v, %d versions", res.CommonPrefixes, len(res.Versions))
	}
	res, err = e.s.ListObjectVersions(ctx, VersionListInput{Bucket: "vbk", Prefix: "dir/", MaxKeys: 1000})
	if err != nil || len(res.Versions) != 6 {
		t.Fatalf("prefix listing: %d versions, %v", len(res.Versions), err)
	}
	// The marker of c is latest; its versions follow, not latest.
	for _, v := range all {
		if v.Key == "c" && v.DeleteMarker != v.IsLatest {
			t.Fatalf("c@%s: marker=%v latest=%v", v.VersionID, v.DeleteMarker, v.IsLatest)
		}
	}
	_, err = e.s.ListObjectVersions(ctx, VersionListInput{Bucket: "vbk", VersionIDMarker: "null"})
	wantErr(t, err, ErrInvalidArgument)
}

// TestVersionsSurviveGCAndHeal: orphan GC keeps every non-current
// version's shards, and heal rebuilds a lost shard of a non-current
// version.
func TestVersionsSurviveGCAndHeal(t *testing.T) {
	e := newEnv(t)
	needRepair(t, e)
	ctx := context.Background()
	e.versioned("vbk")
	old := put(t, e.s, "vbk", "k", randBytes(1, 3000))
	put(t, e.s, "vbk", "k", randBytes(2, 3000))
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	e.wantShards(12)
	if _, err := e.s.RunGC(ctx, time.Now().Add(1000*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if res, err := e.s.CollectOrphans(ctx, -time.Hour); err != nil || res.Shards != 0 {
		t.Fatalf("orphan GC took %d shards of live versions: %v", res.Shards, err)
	}
	e.wantShards(12)
	m, _, err := e.s.openVersion(ctx, "vbk", "k", old.VersionID)
	if err != nil {
		t.Fatal(err)
	}
	e.removeShardFiles(m.Parts[0].DataID, 0, 3)
	var walked []string
	if err := e.s.WalkObjects(ctx, func(b, k string) error {
		walked = append(walked, k)
		res, err := e.s.HealObject(ctx, b, k, HealOptions{})
		if err != nil {
			return fmt.Errorf("heal %q: %w", k, err)
		}
		_ = res
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(walked) != 2 {
		t.Fatalf("walked %q, want the two versions", walked)
	}
	e.wantShards(12)
	got, err := readVersion(t, e.s, "vbk", "k", old.VersionID)
	if err != nil || !bytes.Equal(got, randBytes(1, 3000)) {
		t.Fatalf("old version after heal: %v", err)
	}
	// Removing a version permanently frees exactly its shards.
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k", VersionID: old.VersionID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.RunGC(ctx, time.Now().Add(1000*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.wantShards(6)
}

// TestVersionedMultipart: a completed upload in a versioned bucket is a
// new version; the previous one stays readable.
func TestVersionedMultipart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.versioned("vbk")
	first := put(t, e.s, "vbk", "k", []byte("first"))
	up, err := e.s.CreateMultipartUpload(ctx, "vbk", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader([]byte("second")), Size: 6})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.s.CompleteMultipartUpload(ctx, "vbk", "k", up.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !validVersionID(info.VersionID) || info.VersionID == first.VersionID {
		t.Fatalf("completed version id %q", info.VersionID)
	}
	if got := mustRead(t, e.s, "vbk", "k"); string(got) != "second" {
		t.Fatalf("latest %q", got)
	}
	if got, _ := readVersion(t, e.s, "vbk", "k", first.VersionID); string(got) != "first" {
		t.Fatalf("first version %q", got)
	}
}

// TestVersionedConcurrentWriters: racing PUTs to one key keep every
// version (Enabled) or exactly one null version (Suspended), and the
// current copy is the newest version either way.
func TestVersionedConcurrentWriters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.versioned("vbk")
	const n = 6
	race := func() {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Go(func() {
				if _, err := e.s.PutObject(ctx, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader([]byte{byte(i)}), Size: 1}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	checkCurrent := func() []VersionInfo {
		vs := listAll(t, e.s, VersionListInput{Bucket: "vbk", MaxKeys: 1000})
		cur, err := e.s.HeadObject(ctx, GetInput{Bucket: "vbk", Key: "k"})
		if err != nil || len(vs) == 0 || cur.VersionID != vs[0].VersionID {
			t.Fatalf("current %q (%v), newest listed %+v", cur.VersionID, err, vs)
		}
		return vs
	}
	race()
	if vs := checkCurrent(); len(vs) != n {
		t.Fatalf("%d versions after %d racing PUTs", len(vs), n)
	}
	if err := e.s.PutBucketVersioning(ctx, "vbk", VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	race()
	vs := checkCurrent()
	nulls := 0
	for _, v := range vs {
		if v.VersionID == NullVersion {
			nulls++
		}
	}
	if nulls != 1 || len(vs) != n+1 {
		t.Fatalf("%d null versions of %d, want 1 of %d", nulls, len(vs), n+1)
	}
}

// TestVersionedConditionalRace: of racing If-None-Match: * PUTs to a new
// key of a versioned bucket exactly one succeeds, and only its version
// exists afterwards.
func TestVersionedConditionalRace(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.versioned("vbk")
	const n = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < n; i++ {
		wg.Go(func() {
			_, err := e.s.PutObject(ctx, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader([]byte{byte(i)}), Size: 1, Cond: WriteCondition{IfNoneMatch: true}})
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, ErrPreconditionFailed):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	vs := listAll(t, e.s, VersionListInput{Bucket: "vbk", MaxKeys: 1000})
	if won != 1 || len(vs) != 1 {
		t.Fatalf("%d winners, %d versions; want 1 and 1", won, len(vs))
	}
	cur, err := e.s.HeadObject(ctx, GetInput{Bucket: "vbk", Key: "k"})
	if err != nil || cur.VersionID != vs[0].VersionID {
		t.Fatalf("current %q %v, listed %q", cur.VersionID, err, vs[0].VersionID)
	}
	_, err = e.s.PutObject(ctx, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader(nil), Cond: WriteCondition{IfNoneMatch: true}})
	wantErr(t, err, ErrPreconditionFailed)
	if _, err := e.s.PutObject(ctx, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader(nil), Cond: WriteCondition{IfMatch: cur.ETag}}); err != nil {
		t.Fatalf("If-Match the current ETag: %v", err)
	}
}

// TestVersionTags: each version keeps its own tags; tagging one version
// leaves the others alone, and removing a version removes its tags.
func TestVersionTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bucket("vbk")
	_, err := e.s.PutObject(ctx, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader([]byte("0")), Size: 1, Meta: ObjectMeta{Tags: []Tag{{"era", "legacy"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.PutBucketVersioning(ctx, "vbk", VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v1, err := e.s.PutObject(ctx, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader([]byte("1")), Size: 1, Meta: ObjectMeta{Tags: []Tag{{"n", "one"}}}})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := e.s.PutObject(ctx, PutInput{Bucket: "vbk", Key: "k", Body: bytes.NewReader([]byte("2")), Size: 1, Meta: ObjectMeta{Tags: []Tag{{"n", "two"}}}})
	if err != nil {
		t.Fatal(err)
	}
	tagsOf := func(vid string) string {
		t.Helper()
		tags, _, err := e.s.GetObjectTaggingVersion(ctx, "vbk", "k", vid)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(tags)
	}
	if got := tagsOf(""); got != "[{n two}]" {
		t.Fatalf("current tags %s", got)
	}
	if got := tagsOf(v1.VersionID); got != "[{n one}]" {
		t.Fatalf("v1 tags %s", got)
	}
	if got := tagsOf(NullVersion); got != "[{era legacy}]" {
		t.Fatalf("null version tags %s", got)
	}
	if _, err := e.s.PutObjectTaggingVersion(ctx, "vbk", "k", v1.VersionID, []Tag{{"n", "uno"}}); err != nil {
		t.Fatal(err)
	}
	if tagsOf(v1.VersionID) != "[{n uno}]" || tagsOf(v2.VersionID) != "[{n two}]" {
		t.Fatalf("after tagging v1: v1 %s, v2 %s", tagsOf(v1.VersionID), tagsOf(v2.VersionID))
	}
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "vbk", Key: "k", VersionID: v1.VersionID}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.meta.Get(ctx, nsTags("vbk"), versionKey("k", v1.VersionID)); err == nil {
		t.Fatal("a removed version's tag record is still there")
	}
}
