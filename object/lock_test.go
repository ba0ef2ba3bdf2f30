package object

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// lockedBucket creates a bucket with Object Lock (and so versioning).
func (e *testEnv) lockedBucket(name string) {
	e.t.Helper()
	err := e.s.CreateBucketWith(context.Background(), CreateBucketInput{Bucket: name, Owner: "alice", Region: "us-east-1", ObjectLock: true})
	if err != nil {
		e.t.Fatal(err)
	}
}

func putLocked(t *testing.T, s *Store, bucket, key string, data []byte, lock LockInput) ObjectInfo {
	t.Helper()
	info, err := s.PutObject(context.Background(), PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), Lock: lock})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestObjectLockConfig(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.bucket("plain")
	_, err := e.s.GetObjectLockConfiguration(ctx, "plain")
	wantErr(t, err, ErrNoSuchObjectLockConfiguration)
	// Lock needs versioning Enabled first.
	wantErr(t, e.s.PutObjectLockConfiguration(ctx, "plain", LockConfig{Enabled: true}), ErrInvalidBucketState)
	_, err = e.s.PutObject(ctx, PutInput{Bucket: "plain", Key: "k", Body: bytes.NewReader(nil), Lock: LockInput{LegalHold: true}})
	wantErr(t, err, ErrInvalidRequest)

	e.lockedBucket("locked")
	if st, _ := e.s.GetBucketVersioning(ctx, "locked"); st != VersioningEnabled {
		t.Fatalf("lock bucket versioning %q", st)
	}
	wantErr(t, e.s.PutBucketVersioning(ctx, "locked", VersioningSuspended), ErrInvalidBucketState)
	wantErr(t, e.s.PutObjectLockConfiguration(ctx, "locked", LockConfig{Enabled: true, Mode: LockGovernance, Days: 1, Years: 1}), ErrMalformedXML)
	if err := e.s.PutObjectLockConfiguration(ctx, "locked", LockConfig{Enabled: true, Mode: LockCompliance, Days: 3}); err != nil {
		t.Fatal(err)
	}
	c, err := e.s.GetObjectLockConfiguration(ctx, "locked")
	if err != nil || c != (LockConfig{Enabled: true, Mode: LockCompliance, Days: 3}) {
		t.Fatalf("config %+v %v", c, err)
	}
	// Default retention applies to new versions.
	info := put(t, e.s, "locked", "k", []byte("x"))
	if info.Lock.Mode != LockCompliance || info.Lock.RetainUntil.Sub(info.LastModified) != 72*time.Hour {
		t.Fatalf("default retention: %+v", info.Lock)
	}
}

// TestLockedVersionSurvivesDelete: GOVERNANCE yields only to bypass,
// COMPLIANCE and legal hold to nothing; a plain DELETE adds a marker.
func TestLockedVersionSurvivesDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.lockedBucket("locked")
	until := time.Now().Add(time.Hour)
	gov := putLocked(t, e.s, "locked", "gov", []byte("g"), LockInput{Mode: LockGovernance, RetainUntil: until})
	comp := putLocked(t, e.s, "locked", "comp", []byte("c"), LockInput{Mode: LockCompliance, RetainUntil: until})
	hold := putLocked(t, e.s, "locked", "hold", []byte("h"), LockInput{LegalHold: true})

	// A DELETE without version id only adds a marker.
	if res, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "locked", Key: "comp"}); err != nil || !res.DeleteMarker {
		t.Fatalf("marker on a locked key: %+v %v", res, err)
	}
	for _, c := range []struct {
		key, vid string
		bypass   bool
	}{{"gov", gov.VersionID, false}, {"comp", comp.VersionID, false}, {"comp", comp.VersionID, true}, {"hold", hold.VersionID, true}} {
		_, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "locked", Key: c.key, VersionID: c.vid, BypassGovernance: c.bypass})
		wantErr(t, err, ErrObjectLocked)
		if got, err := readVersion(t, e.s, "locked", c.key, c.vid); err != nil || len(got) != 1 {
			t.Fatalf("%s after refused delete: %v", c.key, err)
		}
	}
	// Retention cannot be shortened without bypass (GOVERNANCE) or at all
	// (COMPLIANCE), but can be extended.
	_, err := e.s.PutObjectRetention(ctx, RetentionInput{Bucket: "locked", Key: "comp", VersionID: comp.VersionID, Mode: LockGovernance, RetainUntil: until.Add(time.Hour), BypassGovernance: true})
	wantErr(t, err, ErrObjectLocked)
	_, err = e.s.PutObjectRetention(ctx, RetentionInput{Bucket: "locked", Key: "comp", VersionID: comp.VersionID, Mode: LockCompliance, RetainUntil: until.Add(-time.Minute), BypassGovernance: true})
	wantErr(t, err, ErrObjectLocked)
	if _, err := e.s.PutObjectRetention(ctx, RetentionInput{Bucket: "locked", Key: "comp", VersionID: comp.VersionID, Mode: LockCompliance, RetainUntil: until.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.PutObjectRetention(ctx, RetentionInput{Bucket: "locked", Key: "gov", Mode: LockGovernance, RetainUntil: until.Add(-time.Minute)})
	wantErr(t, err, ErrObjectLocked)
	if r, err := e.s.GetObjectRetention(ctx, "locked", "gov", ""); err != nil || r.Mode != LockGovernance || r.RetainUntil.UnixNano() != until.UnixNano() {
		t.Fatalf("gov retention %+v %v", r, err)
	}
	// Bypass removes GOVERNANCE; legal hold released allows the delete.
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "locked", Key: "gov", VersionID: gov.VersionID, BypassGovernance: true}); err != nil {
		t.Fatalf("bypass delete: %v", err)
	}
	if _, err := e.s.PutObjectLegalHold(ctx, "locked", "hold", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "locked", Key: "hold", VersionID: hold.VersionID}); err != nil {
		t.Fatalf("delete after hold released: %v", err)
	}
	// Expired retention no longer protects.
	later := e.open(func(o *Options) { o.Now = func() time.Time { return until.Add(3 * time.Hour) } })
	if _, err := later.DeleteObjectVersion(ctx, DeleteInput{Bucket: "locked", Key: "comp", VersionID: comp.VersionID}); err != nil {
		t.Fatalf("delete after expiry: %v", err)
	}
}

// TestLockTamper: editing the lock state in the stored version record
// (clearing the retention) is detected: the delete fails closed, the data
// stays readable under its signed state nowhere else, and restoring the
// original bytes brings the lock back.
func TestLockTamper(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.lockedBucket("locked")
	info := putLocked(t, e.s, "locked", "k", []byte("precious"), LockInput{Mode: LockCompliance, RetainUntil: time.Now().Add(time.Hour), LegalHold: true})
	ns, vk := nsVersions("locked"), versionKey("k", info.VersionID)
	raw, ver, err := e.s.meta.Get(ctx, ns, vk)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	m.LockMode, m.RetainUntil, m.LegalHold = "", 0, false // the signature stays the old one
	forged, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.meta.Put(ctx, ns, vk, forged, storage.Cond{IfVersion: ver}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "locked", Key: "k", VersionID: info.VersionID, BypassGovernance: true})
	wantErr(t, err, ErrTampered)
	if _, _, err := e.s.meta.Get(ctx, ns, vk); err != nil {
		t.Fatalf("tampered version was removed: %v", err)
	}
	_, err = e.s.PutObjectLegalHold(ctx, "locked", "k", info.VersionID, false)
	wantErr(t, err, ErrTampered)
	_, err = readVersion(t, e.s, "locked", "k", info.VersionID)
	wantErr(t, err, ErrTampered)
	// Put the signed bytes back: the lock holds as before.
	if _, err := e.s.meta.Put(ctx, ns, vk, raw, storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.s.DeleteObjectVersion(ctx, DeleteInput{Bucket: "locked", Key: "k", VersionID: info.VersionID, BypassGovernance: true})
	wantErr(t, err, ErrObjectLocked)
	if got, err := readVersion(t, e.s, "locked", "k", info.VersionID); err != nil || string(got) != "precious" {
		t.Fatalf("locked version: %q %v", got, err)
	}
}
