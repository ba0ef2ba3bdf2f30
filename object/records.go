package object

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/manifest"
)

// Meta namespaces and record formats. Object manifests use the canonical,
// signed manifest encoding; the small bookkeeping records below are JSON
// with a version field. They are not signed: every byte of data they point
// at is still authenticated by AES-GCM under a key bound to its upload and
// part number, and the final object manifest is signed when it is built, so
// a forged record can destroy availability but cannot make a reader accept
// foreign or altered data.
const (
	nsBuckets = "buckets"
	recordV1  = 1
	// uploadCompleting marks an upload whose CompleteMultipartUpload has
	// claimed it; parts can no longer be replaced.
	uploadCompleting = "completing"
	// uploadAborting marks an upload whose AbortMultipartUpload is dropping
	// its parts; a retried Abort finishes the job.
	uploadAborting = "aborting"
)

func nsObjects(bucket string) string  { return "obj/" + bucket }
func nsUploads(bucket string) string  { return "mpu/" + bucket }
func nsParts(uploadID string) string  { return "part/" + uploadID }
func uploadKey(key, id string) string { return key + "\x00" + id }
func partKey(n int) string            { return fmt.Sprintf("%05d", n) }

// bucketRecord is the value stored under "buckets"/<name>.
type bucketRecord struct {
	V       int    `json:"v"`
	Name    string `json:"name"`
	Owner   string `json:"owner"`
	Region  string `json:"region,omitempty"`
	Created int64  `json:"created"` // unix ns
	// K and M are the bucket's data layout, fixed at creation; zero (a
	// bucket created before layouts were chosen) means the store default.
	K int `json:"k,omitempty"`
	M int `json:"m,omitempty"`
	// Versioning is "" (never configured), VersioningEnabled or
	// VersioningSuspended. Once set it never returns to "".
	Versioning string `json:"versioning,omitempty"`
	// Lock is Object Lock enabled (forever); LockMode with LockDays or
	// LockYears is the default retention of new versions. The record is
	// not signed: each version's own lock state is in its signed
	// manifest, so editing this record can at worst change what future
	// versions get, never unlock an existing one.
	Lock      bool   `json:"lock,omitempty"`
	LockMode  string `json:"lock_mode,omitempty"`
	LockDays  int    `json:"lock_days,omitempty"`
	LockYears int    `json:"lock_years,omitempty"`
	// KMSKeyID is the bucket's default KMS key ("" = SSE-S3), set by
	// PutBucketEncryption; kept here so a PUT reads it for free.
	KMSKeyID string `json:"kms,omitempty"`
}

func (r *bucketRecord) info() BucketInfo {
	return BucketInfo{Name: r.Name, Owner: r.Owner, Region: r.Region, Created: time.Unix(0, r.Created).UTC(),
		Redundancy: Redundancy{K: r.K, M: r.M}, KMSKeyID: r.KMSKeyID}
}

// uploadRecord is the value stored under "mpu/<bucket>"/<key>\x00<id>. It
// carries the upload's key envelope: one data key per upload, each part
// sealed under it with its own random data id.
type uploadRecord struct {
	V         int               `json:"v"`
	Bucket    string            `json:"bucket"`
	Key       string            `json:"key"`
	UploadID  string            `json:"id"`
	Owner     string            `json:"owner"` // bucket owner: the key-context account
	Initiator string            `json:"initiator,omitempty"`
	Initiated int64             `json:"initiated"` // unix ns
	Meta      ObjectMeta        `json:"meta"`
	Algo      string            `json:"algo,omitempty"`
	Type      string            `json:"type,omitempty"`
	Envelope  manifest.Envelope `json:"env"`
	State     string            `json:"state,omitempty"`
	Claimed   int64             `json:"claimed,omitempty"` // unix ns of the completion claim
	Parts     string            `json:"parts,omitempty"`   // hash of the claiming Complete's part list
	// K and M are the bucket's layout when the upload began, so every part
	// of one upload is stored alike; zero: the store default.
	K int `json:"k,omitempty"`
	M int `json:"m,omitempty"`
}

func (r *uploadRecord) info() Upload {
	return Upload{
		Bucket: r.Bucket, Key: r.Key, UploadID: r.UploadID,
		Initiated:         time.Unix(0, r.Initiated).UTC(),
		Owner:             r.Owner,
		ChecksumAlgorithm: r.Algo,
		ChecksumType:      r.Type,
		Encryption:        envelopeInfo(r.Envelope),
	}
}

// partRecord is the value stored under "part/<uploadID>"/%05d: where one
// uploaded part's shards live and what it hashed to.
type partRecord struct {
	V         int               `json:"v"`
	Number    int               `json:"n"`
	DataID    [16]byte          `json:"data"`
	Size      int64             `json:"size"`
	ChunkSize int               `json:"chunk"`
	K         int               `json:"k"`
	M         int               `json:"m"`
	OSDs      []string          `json:"osds"`
	ETag      string            `json:"etag"` // hex MD5 of the part
	Checksums map[string]string `json:"sums,omitempty"`
	Modified  int64             `json:"mod"` // unix ns
	// Started is when the request that wrote this part began (unix ns): of
	// two uploads of one part number the later-started wins even if it
	// finishes first, as a client that resends a part expects.
	Started int64 `json:"started,omitempty"`
}

func (r *partRecord) layout() dataplane.Layout {
	return dataplane.Layout{
		DataID: r.DataID, Part: uint32(r.Number), Size: r.Size,
		ChunkSize: r.ChunkSize, K: r.K, M: r.M, OSDs: r.OSDs,
	}
}

func (r *partRecord) info() PartInfo {
	return PartInfo{
		PartNumber: r.Number, ETag: r.ETag, Size: r.Size,
		LastModified: time.Unix(0, r.Modified).UTC(), Checksums: r.Checksums,
	}
}

// errDamagedRecord marks a bookkeeping record that does not decode.
var errDamagedRecord = ErrDamagedMetadata

// decodeRecord unmarshals a JSON record and checks its version.
func decodeRecord(raw []byte, v any, version *int) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("object: corrupt record: %w: %w", errDamagedRecord, err)
	}
	if *version != recordV1 {
		return fmt.Errorf("object: record version %d not supported: %w", *version, errDamagedRecord)
	}
	return nil
}

// layoutOf converts a manifest part to the engine's layout.
func layoutOf(p *manifest.Part) dataplane.Layout {
	return dataplane.Layout{
		DataID: p.DataID, Part: p.Number, Size: p.Size, ChunkSize: int(p.ChunkSize),
		K: int(p.K), M: int(p.M), OSDs: p.OSDs,
	}
}

// manifestPart converts an engine layout to a manifest part.
func manifestPart(l dataplane.Layout, etag string, sums map[string]string) manifest.Part {
	return manifest.Part{
		Number: l.Part, DataID: l.DataID, Size: l.Size, ChunkSize: uint32(l.ChunkSize),
		K: uint8(l.K), M: uint8(l.M), OSDs: l.OSDs, ETag: etag, Checksums: sums,
	}
}
