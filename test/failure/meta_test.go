package failure

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// escapeName is the local backend's file name of a metadata key or
// namespace (storage/local/names.go): bytes outside [A-Za-z0-9._-], and a
// leading '.', become %XX. The suite's keys are short, so the hashed form
// for long names never occurs.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') && (i > 0 || c != '.') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// replicas finds every copy of metadata record (ns, key) under dir: files
// named after the key inside a directory named after the namespace,
// wherever the backend keeps them (one tree today, one per OSD in the
// replicated design of docs/DURABILITY.md).
func replicas(e *env, ns, key string) ([]string, error) {
	// The object layer's records are sealed (storage/sealed) under stored
	// names; the backend's own records (sys/osds) are not.
	sns, skey := e.sb.Meta().(*sealed.Meta).StoredName(ns, key)
	if out, err := replicasNamed(e.dir, sns, skey); len(out) > 0 || err != nil {
		return out, err
	}
	return replicasNamed(e.dir, ns, key)
}

func replicasNamed(dir, ns, key string) ([]string, error) {
	nsName, keyName := escapeName(ns), escapeName(key)
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if strings.HasSuffix(d.Name(), ".lost") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == keyName && filepath.Base(filepath.Dir(p)) == nsName {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// record is one metadata record of a kind the suite damages.
type record struct {
	kind    string
	ns, key string
}

// metaRecords damages every kind of metadata record (manifests, bucket,
// upload and part records, the OSD identities) by bit flips and truncation, in one replica
// (which must be invisible to clients and repaired by the scrub) and, for
// manifests, in every replica (which must affect that key alone).
func metaRecords(tr *trial) {
	for _, kind := range []string{"manifest", "bucket", "upload", "part", "osds"} {
		for _, how := range []corruption{corruptFlip, corruptTruncate} {
			name := fmt.Sprintf("%s-%s-one-replica", kind, howName(how))
			tr.t.Run(name, func(t *testing.T) { metaOneReplica(tr.sub(t), kind, how) })
		}
	}
	for _, how := range []corruption{corruptFlip, corruptTruncate} {
		tr.t.Run("manifest-"+howName(how)+"-every-replica", func(t *testing.T) { manifestEveryReplica(tr.sub(t), how) })
	}
}

func howName(c corruption) string {
	if c == corruptFlip {
		return "bitflip"
	}
	return "truncate"
}

// sub is a trial for a nested subtest sharing the run's totals and random
// source, with its own ledger.
func (tr *trial) sub(t *testing.T) *trial {
	return &trial{t: t, st: tr.st, seed: tr.seed, rng: tr.rng, l: newLedger(tr.st)}
}

// damageFile flips a bit in or truncates the file at p and returns what
// it now holds.
func damageFile(tr *trial, p string, how corruption) ([]byte, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if how == corruptTruncate {
		b = b[:tr.rng.IntN(max(1, len(b)))]
	} else if len(b) > 0 {
		b[tr.rng.IntN(len(b))] ^= 1 << tr.rng.IntN(8)
	}
	return b, os.WriteFile(p, b, 0o600)
}

// metaFixture writes the records every metadata trial needs: objects, an
// open upload with two parts, and returns the records by kind.
type metaFixture struct {
	bucket, upKey, uploadID string
	parts                   [][]byte
	records                 map[string]record
}

func newMetaFixture(tr *trial, ctx context.Context, e *env, bucket string) *metaFixture {
	t := tr.t
	t.Helper()
	tr.mkBucket(ctx, e, bucket)
	for i := range scale(8, 30) {
		if err := tr.put(ctx, e, bucket, key("o", i), tr.payload(tr.size())); err != nil {
			t.Fatalf("PUT: %v", err)
		}
	}
	f := &metaFixture{bucket: bucket, upKey: "up/object"}
	up, err := e.store.CreateMultipartUpload(ctx, bucket, f.upKey, object.ObjectMeta{}, "", owner)
	if err != nil {
		t.Fatalf("create upload: %v", err)
	}
	f.uploadID = up.UploadID
	// One part: the last part of an upload may be small.
	f.parts = [][]byte{tr.payload(chunkSize + 77)}
	if _, err := e.store.UploadPart(ctx, f.uploadID, 1, object.PutInput{Bucket: bucket, Key: f.upKey,
		Body: bytes.NewReader(f.parts[0]), Size: int64(len(f.parts[0])), Owner: owner}); err != nil {
		t.Fatalf("upload part: %v", err)
	}
	f.records = map[string]record{
		"manifest": {"manifest", "obj/" + bucket, key("o", tr.rng.IntN(scale(8, 30)))},
		"bucket":   {"bucket", "buckets", bucket},
		"upload":   {"upload", "mpu/" + bucket, f.upKey + "\x00" + f.uploadID},
		"part":     {"part", "part/" + f.uploadID, "00001"},
		// The OSD identities (docs/DURABILITY.md, sys/osds).
		"osds": {"osds", "sys", "osds"},
	}
	return f
}

// complete finishes the fixture's upload and records the object.
func (f *metaFixture) complete(tr *trial, ctx context.Context, e *env) error {
	sum := md5.Sum(f.parts[0])
	_, err := e.store.CompleteMultipartUpload(ctx, f.bucket, f.upKey, f.uploadID,
		[]object.CompletePart{{PartNumber: 1, ETag: hex.EncodeToString(sum[:])}}, object.CompleteOptions{})
	if err == nil {
		tr.l.acked(f.bucket, f.upKey, f.parts[0])
	}
	return err
}

// metaOneReplica damages one replica of one record: clients must not
// notice, and the scrub must rewrite the damaged copy.
func metaOneReplica(tr *trial, kind string, how corruption) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	f := newMetaFixture(tr, ctx, e, bucketFor("meta-"+kind))
	rec := f.records[kind]
	paths, err := replicas(e, rec.ns, rec.key)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no copy of the %s record %s/%q found under %s (%v)", kind, rec.ns, rec.key, e.dir, err)
	}
	if len(paths) < 3 {
		t.Errorf("the %s record %s/%q has %d copies on disk; docs/DURABILITY.md keeps one in every OSD", kind, rec.ns, rec.key, len(paths))
	}
	victim := paths[tr.rng.IntN(len(paths))]
	bad, err := damageFile(tr, victim, how)
	if err != nil {
		t.Fatal(err)
	}
	tr.fault(1)
	e.crash()
	// Clients see nothing.
	tr.l.verify(t, ctx, "one metadata replica damaged", get(e))
	if _, err := e.store.HeadBucket(ctx, f.bucket); err != nil {
		t.Errorf("HeadBucket with one damaged %s replica: %v", kind, err)
	}
	res, err := e.store.ListObjects(ctx, object.ListInput{Bucket: f.bucket, MaxKeys: 1000})
	if err != nil {
		t.Errorf("list with one damaged %s replica: %v", kind, err)
	} else if want := scale(8, 30); len(res.Objects) != want {
		t.Errorf("list with one damaged %s replica: %d objects, want %d", kind, len(res.Objects), want)
	}
	if _, _, _, err := e.store.ListParts(ctx, f.bucket, f.upKey, f.uploadID, 0, 1000); err != nil {
		t.Errorf("ListParts with one damaged %s replica: %v", kind, err)
	}
	// The scrub repairs the damaged copy.
	if err := scrubMeta(ctx, e.lb.LocalMeta()); err != nil {
		t.Errorf("metadata scrub: %v", err)
	}
	if now, err := os.ReadFile(victim); err != nil || bytes.Equal(now, bad) {
		t.Errorf("the damaged %s replica %s was not rewritten by the scrub (err %v)", kind, victim, err)
	}
	if err := f.complete(tr, ctx, e); err != nil {
		t.Errorf("complete the upload after one damaged %s replica: %v", kind, err)
	}
	finishClass(tr, e)
}

// manifestEveryReplica damages every copy of one object's manifest: that
// key alone is affected. GET and HEAD answer an error, listing skips it,
// DELETE and PUT of the key work, and every other object is untouched.
func manifestEveryReplica(tr *trial, how corruption) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	f := newMetaFixture(tr, ctx, e, bucketFor("meta-all-"+howName(how)))
	rec := f.records["manifest"]
	paths, err := replicas(e, rec.ns, rec.key)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no copy of the manifest %s/%q found under %s (%v)", rec.ns, rec.key, e.dir, err)
	}
	for _, p := range paths {
		if _, err := damageFile(tr, p, how); err != nil {
			t.Fatal(err)
		}
		tr.fault(1)
	}
	// Beyond any tolerance: this key's content is gone on purpose.
	tr.l.forget(f.bucket, rec.key)
	e.crash()
	if _, err := e.store.GetObject(ctx, object.GetInput{Bucket: f.bucket, Key: rec.key}); err == nil {
		t.Errorf("GET of a key whose every manifest copy is damaged succeeded")
	}
	if _, err := e.store.HeadObject(ctx, object.GetInput{Bucket: f.bucket, Key: rec.key}); err == nil {
		t.Errorf("HEAD of a key whose every manifest copy is damaged succeeded")
	}
	res, err := e.store.ListObjects(ctx, object.ListInput{Bucket: f.bucket, MaxKeys: 1000})
	if err != nil {
		t.Errorf("listing a bucket with one unrecoverable manifest: %v", err)
	} else {
		if want := scale(8, 30) - 1; len(res.Objects) != want {
			t.Errorf("listing with one unrecoverable manifest: %d objects, want the %d others", len(res.Objects), want)
		}
		for _, o := range res.Objects {
			if o.Key == rec.key {
				t.Errorf("listing shows the key whose manifest is unrecoverable")
			}
		}
	}
	tr.l.verify(t, ctx, "other keys, one manifest unrecoverable", get(e))
	if err := e.store.DeleteObject(ctx, f.bucket, rec.key); err != nil {
		t.Errorf("DELETE of a key with an unrecoverable manifest: %v", err)
	}
	if err := tr.put(ctx, e, f.bucket, rec.key, tr.payload(tr.size())); err != nil {
		t.Errorf("PUT over a key with an unrecoverable manifest: %v", err)
	}
	if err := f.complete(tr, ctx, e); err != nil {
		t.Errorf("complete the upload: %v", err)
	}
	finishClass(tr, e)
}
