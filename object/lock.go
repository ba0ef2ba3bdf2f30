package object

import (
	"context"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/storage"
)

// errNoLockConfig is S3's answer to lock requests on a bucket without
// Object Lock.
var errNoLockConfig = fmt.Errorf("%w: Bucket is missing Object Lock Configuration", ErrInvalidRequest)

// applyLock sets a new version's Object Lock state: what the upload asked
// for, else the bucket's default retention counted from the commit time.
func (s *Store) applyLock(bk *bucketRecord, m *manifest.Manifest, in LockInput) error {
	if !in.IsZero() && !bk.Lock {
		return errNoLockConfig
	}
	if !bk.Lock {
		return nil
	}
	switch {
	case in.Mode != "" || !in.RetainUntil.IsZero():
		if in.Mode != LockGovernance && in.Mode != LockCompliance {
			return fmt.Errorf("%w: retention mode %q", ErrInvalidArgument, in.Mode)
		}
		if !in.RetainUntil.After(s.now()) {
			return fmt.Errorf("%w: the retain until date must be in the future", ErrInvalidArgument)
		}
		m.LockMode, m.RetainUntil = in.Mode, in.RetainUntil.UnixNano()
	case bk.LockMode != "":
		base := time.Unix(0, m.Modified)
		m.LockMode = bk.LockMode
		m.RetainUntil = base.AddDate(bk.LockYears, 0, bk.LockDays).UnixNano()
	}
	m.LegalHold = in.LegalHold
	return nil
}

// manifestLock returns the lock state a manifest carries.
func manifestLock(m *manifest.Manifest) LockState {
	st := LockState{Mode: m.LockMode, LegalHold: m.LegalHold}
	if m.RetainUntil != 0 {
		st.RetainUntil = time.Unix(0, m.RetainUntil).UTC()
	}
	return st
}

// checkDeletable refuses removing a version under legal hold or unexpired
// retention: COMPLIANCE always, GOVERNANCE unless bypass.
func checkDeletable(m *manifest.Manifest, bypass bool, now time.Time) error {
	if m.LegalHold {
		return fmt.Errorf("object: %s/%s version %s is under legal hold: %w", m.Bucket, m.Key, reportedVersion(m.VersionID), ErrObjectLocked)
	}
	if m.LockMode == "" || m.RetainUntil <= now.UnixNano() {
		return nil
	}
	if m.LockMode == LockGovernance && bypass {
		return nil
	}
	return fmt.Errorf("object: %s/%s version %s is retained (%s) until %s: %w", m.Bucket, m.Key,
		reportedVersion(m.VersionID), m.LockMode, time.Unix(0, m.RetainUntil).UTC().Format(time.RFC3339), ErrObjectLocked)
}

// lockTarget opens the version a retention or legal-hold request names
// ("" = the current one) in a bucket with Object Lock.
func (s *Store) lockTarget(ctx context.Context, bucket, key, versionID string) (*manifest.Manifest, versionEntry, error) {
	bk, _, err := s.bucket(ctx, bucket)
	if err != nil {
		return nil, versionEntry{}, err
	}
	if !bk.Lock {
		return nil, versionEntry{}, errNoLockConfig
	}
	if err := checkKey(key); err != nil {
		return nil, versionEntry{}, err
	}
	if err := s.ensureHistory(ctx, bucket, key); err != nil {
		return nil, versionEntry{}, err
	}
	if versionID == "" {
		page, err := s.meta.List(ctx, nsVersions(bucket), key+"\x00", "", 1)
		if err != nil {
			return nil, versionEntry{}, fmt.Errorf("object: %s/%s: %w", bucket, key, err)
		}
		if len(page) == 0 || isMarker(page[0].Value) {
			return nil, versionEntry{}, fmt.Errorf("object: %s/%s: %w", bucket, key, ErrNoSuchKey)
		}
		_, seg, _ := splitVersionKey(page[0].Key)
		versionID = seg
		if !validVersionID(seg) {
			versionID = NullVersion
		}
	}
	m, e, err := s.openVersion(ctx, bucket, key, versionID)
	if err != nil {
		return nil, e, err
	}
	if e.seg == "" {
		return nil, e, fmt.Errorf("object: %s/%s: %w", bucket, key, ErrNoSuchVersion)
	}
	return m, e, nil
}

// storeLock re-signs m (its lock state changed) and swaps it into its
// ver/ entry, guarded by the entry's version, then refreshes the current
// copy.
func (s *Store) storeLock(ctx context.Context, m *manifest.Manifest, e versionEntry) error {
	if err := s.keys.SignManifest(ctx, m); err != nil {
		return fmt.Errorf("object: %s/%s: sign: %w", m.Bucket, m.Key, err)
	}
	raw, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("object: %s/%s: encode: %w", m.Bucket, m.Key, err)
	}
	if _, err := s.meta.Put(ctx, nsVersions(m.Bucket), versionKey(m.Key, e.seg), raw, storage.Cond{IfVersion: e.ver}); err != nil {
		return fmt.Errorf("object: %s/%s: store lock state: %w", m.Bucket, m.Key, err)
	}
	return s.syncCurrent(ctx, m.Bucket, m.Key)
}

// PutObjectRetention sets a version's retention and returns its version
// id. Unexpired COMPLIANCE retention can only be extended; unexpired
// GOVERNANCE retention can be extended or raised to COMPLIANCE by anyone
// allowed, and shortened or removed only with BypassGovernance.
func (s *Store) PutObjectRetention(ctx context.Context, in RetentionInput) (string, error) {
	if in.Mode != "" && in.Mode != LockGovernance && in.Mode != LockCompliance {
		return "", fmt.Errorf("%w: retention mode %q", ErrMalformedXML, in.Mode)
	}
	if (in.Mode == "") != in.RetainUntil.IsZero() {
		return "", fmt.Errorf("%w: Mode and RetainUntilDate go together", ErrMalformedXML)
	}
	now := s.now()
	if in.Mode != "" && !in.RetainUntil.After(now) {
		return "", fmt.Errorf("%w: the retain until date must be in the future", ErrInvalidArgument)
	}
	m, e, err := s.lockTarget(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return "", err
	}
	if m.LockMode != "" && m.RetainUntil > now.UnixNano() {
		shorter := in.Mode == "" || in.RetainUntil.UnixNano() < m.RetainUntil
		switch {
		case m.LockMode == LockCompliance && (shorter || in.Mode != LockCompliance):
			return "", fmt.Errorf("object: %s/%s: COMPLIANCE retention cannot be shortened or weakened: %w", in.Bucket, in.Key, ErrObjectLocked)
		case m.LockMode == LockGovernance && shorter && !in.BypassGovernance:
			return "", fmt.Errorf("object: %s/%s: GOVERNANCE retention can be shortened only with bypass: %w", in.Bucket, in.Key, ErrObjectLocked)
		}
	}
	m.LockMode, m.RetainUntil = in.Mode, 0
	if in.Mode != "" {
		m.RetainUntil = in.RetainUntil.UnixNano()
	}
	if err := s.storeLock(ctx, m, e); err != nil {
		return "", err
	}
	return reportedVersion(m.VersionID), nil
}

// GetObjectRetention returns a version's retention, or
// ErrNoSuchObjectLockConfiguration when it has none.
func (s *Store) GetObjectRetention(ctx context.Context, bucket, key, versionID string) (LockState, error) {
	m, _, err := s.lockTarget(ctx, bucket, key, versionID)
	if err != nil {
		return LockState{}, err
	}
	if m.LockMode == "" {
		return LockState{}, fmt.Errorf("object: %s/%s: %w", bucket, key, ErrNoSuchObjectLockConfiguration)
	}
	return manifestLock(m), nil
}

// PutObjectLegalHold turns a version's legal hold on or off and returns
// its version id.
func (s *Store) PutObjectLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (string, error) {
	m, e, err := s.lockTarget(ctx, bucket, key, versionID)
	if err != nil {
		return "", err
	}
	if m.LegalHold != on {
		m.LegalHold = on
		if err := s.storeLock(ctx, m, e); err != nil {
			return "", err
		}
	}
	return reportedVersion(m.VersionID), nil
}

// GetObjectLegalHold reports a version's legal hold.
func (s *Store) GetObjectLegalHold(ctx context.Context, bucket, key, versionID string) (bool, error) {
	m, _, err := s.lockTarget(ctx, bucket, key, versionID)
	if err != nil {
		return false, err
	}
	return m.LegalHold, nil
}
