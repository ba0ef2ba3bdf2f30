package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/object"
)

// memLayer is an in-memory object.Layer for handler tests: enough S3
// semantics to exercise every route, plus hooks to inject failures and to
// inspect what the HTTP layer passed down.
type memLayer struct {
	mu      sync.Mutex
	now     time.Time
	buckets map[string]*memBucket
	uploads map[string]*memUpload
	nextID  int

	// fail, when set, is returned by the next call of the named method.
	fail map[string]error
	// lastPut records the last PutObject/UploadPart input (Body drained).
	lastPut object.PutInput
	// lastTrailers records TrailerChecksums() of the last upload.
	lastTrailers map[string]string
	// lastCopy records the last CopyInput.
	lastCopy object.CopyInput
}

type memBucket struct {
	info    object.BucketInfo
	objects map[string]*memObject
	policy  []byte
	tags    []object.Tag // bucket tags; object tags live in info.Meta.Tags
}

type memObject struct {
	info  object.ObjectInfo
	data  []byte
	parts []int64 // part sizes for multipart objects
}

type memUpload struct {
	up    object.Upload
	parts map[int]*memObject
}

func newMemLayer() *memLayer {
	return &memLayer{
		now:     time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
		buckets: map[string]*memBucket{},
		uploads: map[string]*memUpload{},
		fail:    map[string]error{},
	}
}

func (m *memLayer) injected(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	err := m.fail[name]
	delete(m.fail, name)
	return err
}

func (m *memLayer) bucket(name string) (*memBucket, error) {
	b, ok := m.buckets[name]
	if !ok {
		return nil, fmt.Errorf("mem: %q: %w", name, object.ErrNoSuchBucket)
	}
	return b, nil
}

func (m *memLayer) ListBuckets(ctx context.Context, owner string) ([]object.BucketInfo, error) {
	if err := m.injected("ListBuckets"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []object.BucketInfo
	for _, b := range m.buckets {
		if b.info.Owner == owner {
			out = append(out, b.info)
		}
	}
	return out, nil
}

func (m *memLayer) CreateBucket(ctx context.Context, bucket, owner, region string) error {
	return m.CreateBucketWith(ctx, object.CreateBucketInput{Bucket: bucket, Owner: owner, Region: region})
}

func (m *memLayer) CreateBucketWith(ctx context.Context, in object.CreateBucketInput) error {
	bucket, owner, region := in.Bucket, in.Owner, in.Region
	if err := m.injected("CreateBucket"); err != nil {
		return err
	}
	if len(bucket) < 3 || strings.ToLower(bucket) != bucket || strings.ContainsAny(bucket, "_ /") {
		return object.ErrInvalidBucketName
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.buckets[bucket]; ok {
		if b.info.Owner == owner {
			return object.ErrBucketAlreadyOwned
		}
		return object.ErrBucketExists
	}
	m.buckets[bucket] = &memBucket{
		info:    object.BucketInfo{Name: bucket, Created: m.now, Owner: owner, Region: region, Redundancy: in.Redundancy},
		objects: map[string]*memObject{},
	}
	return nil
}

func (m *memLayer) HeadBucket(ctx context.Context, bucket string) (object.BucketInfo, error) {
	if err := m.injected("HeadBucket"); err != nil {
		return object.BucketInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return object.BucketInfo{}, err
	}
	return b.info, nil
}

func (m *memLayer) DeleteBucket(ctx context.Context, bucket string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return object.ErrBucketNotEmpty
	}
	delete(m.buckets, bucket)
	return nil
}

func (m *memLayer) PutBucketPolicy(ctx context.Context, bucket string, doc []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	if _, err := policy.ParseBucket(bucket, doc); err != nil {
		return fmt.Errorf("mem: %w: %w", object.ErrMalformedPolicy, err)
	}
	b.policy = bytes.Clone(doc)
	return nil
}

func (m *memLayer) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	if b.policy == nil {
		return nil, object.ErrNoSuchBucketPolicy
	}
	return bytes.Clone(b.policy), nil
}

func (m *memLayer) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(bucket)
	if err != nil {
		return err
	}
	b.policy = nil
	return nil
}

// readPut drains in.Body and checks every digest the way the real layer
// promises to.
func (m *memLayer) readPut(in object.PutInput) ([]byte, map[string]string, error) {
	data, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("mem: read body: %w", err)
	}
	if in.Size >= 0 && int64(len(data)) != in.Size {
		return nil, nil, object.ErrIncompleteBody
	}
	if in.ContentMD5 != nil {
		sum := md5.Sum(data)
		if !bytes.Equal(sum[:], in.ContentMD5) {
			return nil, nil, object.ErrBadDigest
		}
	}
	claimed := map[string]string{}
	for k, v := range in.Checksums {
		claimed[k] = v
	}
	var trailers map[string]string
	if in.TrailerChecksums != nil {
		trailers = in.TrailerChecksums()
		for k, v := range trailers {
			claimed[k] = v
		}
	}
	m.mu.Lock()
	m.lastPut = in
	m.lastPut.Body = nil
	m.lastTrailers = trailers
	m.mu.Unlock()
	stored := map[string]string{}
	for algo, v := range claimed {
		if got := checksumOf(algo, data); got != v {
			return nil, nil, fmt.Errorf("mem: %s: %w", algo, object.ErrChecksumMismatch)
		}
		stored[algo] = v
	}
	if in.ChecksumAlgorithm != "" && stored[in.ChecksumAlgorithm] == "" {
		stored[in.ChecksumAlgorithm] = checksumOf(in.ChecksumAlgorithm, data)
	}
	return data, stored, nil
}

func (m *memLayer) PutObject(ctx context.Context, in object.PutInput) (object.ObjectInfo, error) {
	if err := m.injected("PutObject"); err != nil {
		io.Copy(io.Discard, in.Body)
		return object.ObjectInfo{}, err
	}
	data, sums, err := m.readPut(in)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(in.Bucket)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	sum := md5.Sum(data)
	info := object.ObjectInfo{
		Bucket: in.Bucket, Key: in.Key, Size: int64(len(data)), ETag: hex.EncodeToString(sum[:]),
		LastModified: m.now, Meta: in.Meta, Owner: in.Owner, TagCount: len(in.Meta.Tags),
	}
	if len(sums) > 0 {
		info.Checksums = object.Checksums{Values: sums, Type: object.ChecksumFullObject}
	}
	b.objects[in.Key] = &memObject{info: info, data: data}
	return info, nil
}

func (m *memLayer) lookup(bucket, key string) (*memObject, error) {
	b, err := m.bucket(bucket)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, fmt.Errorf("mem: %s/%s: %w", bucket, key, object.ErrNoSuchKey)
	}
	return o, nil
}

// checkConds applies GET conditions as S3 orders them.
func checkConds(c object.Conditions, info object.ObjectInfo) error {
	etagMatch := func(list string) bool {
		for _, e := range strings.Split(list, ",") {
			e = trimETag(e)
			if e == "*" || e == info.ETag {
				return true
			}
		}
		return false
	}
	if c.IfMatch != "" && !etagMatch(c.IfMatch) {
		return object.ErrPreconditionFailed
	}
	if c.IfMatch == "" && !c.IfUnmodifiedSince.IsZero() && info.LastModified.After(c.IfUnmodifiedSince) {
		return object.ErrPreconditionFailed
	}
	if c.IfNoneMatch != "" && etagMatch(c.IfNoneMatch) {
		return object.ErrNotModified
	}
	if c.IfNoneMatch == "" && !c.IfModifiedSince.IsZero() && !info.LastModified.After(c.IfModifiedSince) {
		return object.ErrNotModified
	}
	return nil
}

// parseRange resolves a Range header; ok=false means "ignore, send all".
func parseRange(h string, size int64) (object.Range, bool, error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return object.Range{}, false, nil
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return object.Range{}, false, nil
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return object.Range{}, false, object.ErrInvalidRange
		}
		n = min(n, size)
		if size == 0 {
			return object.Range{}, false, object.ErrInvalidRange
		}
		return object.Range{Start: size - n, Length: n}, true, nil
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return object.Range{}, false, nil
	}
	end := size - 1
	if b != "" {
		if end, err = strconv.ParseInt(b, 10, 64); err != nil || end < start {
			return object.Range{}, false, nil
		}
	}
	if start >= size {
		return object.Range{}, false, object.ErrInvalidRange
	}
	end = min(end, size-1)
	return object.Range{Start: start, Length: end - start + 1}, true, nil
}

func (m *memLayer) open(in object.GetInput) (*memObject, object.Range, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, err := m.lookup(in.Bucket, in.Key)
	if err != nil {
		return nil, object.Range{}, false, err
	}
	if err := checkConds(in.Cond, o.info); err != nil {
		return nil, object.Range{}, false, err
	}
	rng := object.Range{Length: o.info.Size}
	partial := false
	if in.PartNumber > 0 {
		sizes := o.parts
		if len(sizes) == 0 {
			sizes = []int64{o.info.Size}
		}
		if in.PartNumber > len(sizes) {
			return nil, object.Range{}, false, object.ErrInvalidPartNumber
		}
		var off int64
		for _, s := range sizes[:in.PartNumber-1] {
			off += s
		}
		rng, partial = object.Range{Start: off, Length: sizes[in.PartNumber-1]}, true
	} else if in.RangeHeader != "" {
		r, ok, err := parseRange(in.RangeHeader, o.info.Size)
		if err != nil {
			return nil, object.Range{}, false, err
		}
		if ok {
			rng, partial = r, true
		}
	}
	return o, rng, partial, nil
}

func (m *memLayer) GetObject(ctx context.Context, in object.GetInput) (*object.Object, error) {
	if err := m.injected("GetObject"); err != nil {
		return nil, err
	}
	o, rng, partial, err := m.open(in)
	if err != nil {
		return nil, err
	}
	data := o.data[rng.Start : rng.Start+rng.Length]
	midFail := m.injected("WriteTo")
	return &object.Object{
		Info: o.info, Range: rng, Partial: partial,
		WriteTo: func(ctx context.Context, w io.Writer) (int64, error) {
			var n int64
			for off := 0; off < len(data); off += 64 << 10 {
				end := min(off+64<<10, len(data))
				if midFail != nil && off > 0 {
					return n, midFail
				}
				k, err := w.Write(data[off:end])
				n += int64(k)
				if err != nil {
					return n, err
				}
			}
			return n, nil
		},
	}, nil
}

func (m *memLayer) HeadObject(ctx context.Context, in object.GetInput) (object.ObjectInfo, error) {
	if err := m.injected("HeadObject"); err != nil {
		return object.ObjectInfo{}, err
	}
	o, _, _, err := m.open(in)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	return o.info, nil
}

func (m *memLayer) GetObjectAttributes(ctx context.Context, bucket, key string) (object.ObjectAttributes, error) {
	if err := m.injected("GetObjectAttributes"); err != nil {
		return object.ObjectAttributes{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, err := m.lookup(bucket, key)
	if err != nil {
		return object.ObjectAttributes{}, err
	}
	out := object.ObjectAttributes{Info: o.info}
	for i, size := range o.parts {
		out.Parts = append(out.Parts, object.PartInfo{PartNumber: i + 1, Size: size})
	}
	return out, nil
}

func (m *memLayer) DeleteObject(ctx context.Context, bucket, key string) error {
	if err := m.injected("DeleteObject"); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.lookup(bucket, key); err != nil {
		return err
	}
	delete(m.buckets[bucket].objects, key)
	return nil
}

func (m *memLayer) CopyObject(ctx context.Context, src object.CopyInput, dstBucket, dstKey string) (object.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastCopy = src
	o, err := m.lookup(src.SrcBucket, src.SrcKey)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	if err := checkConds(src.Cond, o.info); err != nil {
		if errors.Is(err, object.ErrNotModified) {
			err = object.ErrPreconditionFailed
		}
		return object.ObjectInfo{}, err
	}
	b, err := m.bucket(dstBucket)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	info := o.info
	info.Bucket, info.Key, info.LastModified = dstBucket, dstKey, m.now
	if src.ReplaceMeta {
		info.Meta = src.Meta
	}
	b.objects[dstKey] = &memObject{info: info, data: append([]byte(nil), o.data...)}
	return info, nil
}

func (m *memLayer) ListObjects(ctx context.Context, in object.ListInput) (object.ListResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, err := m.bucket(in.Bucket)
	if err != nil {
		return object.ListResult{}, err
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var res object.ListResult
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, in.Prefix) || k <= in.Marker {
			continue
		}
		entry, isPrefix := k, false
		if in.Delimiter != "" {
			if i := strings.Index(k[len(in.Prefix):], in.Delimiter); i >= 0 {
				entry, isPrefix = k[:len(in.Prefix)+i+len(in.Delimiter)], true
				if seen[entry] || entry <= in.Marker {
					continue
				}
			}
		}
		if len(res.Objects)+len(res.CommonPrefixes) == in.MaxKeys {
			res.IsTruncated = true
			break
		}
		if isPrefix {
			seen[entry] = true
			res.CommonPrefixes = append(res.CommonPrefixes, entry)
		} else {
			res.Objects = append(res.Objects, b.objects[k].info)
		}
		res.NextMarker = entry
	}
	if !res.IsTruncated {
		res.NextMarker = ""
	}
	return res, nil
}

func (m *memLayer) CreateMultipartUpload(ctx context.Context, bucket, key string, meta object.ObjectMeta, checksumAlgo, owner string) (object.Upload, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.bucket(bucket); err != nil {
		return object.Upload{}, err
	}
	m.nextID++
	algo, typ, _ := strings.Cut(checksumAlgo, ":")
	up := object.Upload{Bucket: bucket, Key: key, UploadID: fmt.Sprintf("upload-%d", m.nextID),
		Initiated: m.now, Owner: owner, ChecksumAlgorithm: algo, ChecksumType: typ}
	m.uploads[up.UploadID] = &memUpload{up: up, parts: map[int]*memObject{}}
	return up, nil
}

func (m *memLayer) upload(id string) (*memUpload, error) {
	u, ok := m.uploads[id]
	if !ok {
		return nil, object.ErrNoSuchUpload
	}
	return u, nil
}

func (m *memLayer) UploadPart(ctx context.Context, uploadID string, partNumber int, in object.PutInput) (object.PartInfo, error) {
	data, sums, err := m.readPut(in)
	if err != nil {
		return object.PartInfo{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.upload(uploadID)
	if err != nil {
		return object.PartInfo{}, err
	}
	sum := md5.Sum(data)
	p := &memObject{info: object.ObjectInfo{ETag: hex.EncodeToString(sum[:]), Size: int64(len(data)), LastModified: m.now}, data: data}
	p.info.Checksums.Values = sums
	u.parts[partNumber] = p
	return object.PartInfo{PartNumber: partNumber, ETag: p.info.ETag, Size: p.info.Size, LastModified: m.now, Checksums: sums}, nil
}

func (m *memLayer) UploadPartCopy(ctx context.Context, uploadID string, partNumber int, dstBucket, dstKey string, src object.CopyInput) (object.PartInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastCopy = src
	u, err := m.upload(uploadID)
	if err != nil {
		return object.PartInfo{}, err
	}
	o, err := m.lookup(src.SrcBucket, src.SrcKey)
	if err != nil {
		return object.PartInfo{}, err
	}
	data := o.data
	if src.SrcRange != "" {
		r, ok, err := parseRange(src.SrcRange, int64(len(data)))
		if err != nil || !ok {
			return object.PartInfo{}, object.ErrInvalidRange
		}
		data = data[r.Start : r.Start+r.Length]
	}
	sum := md5.Sum(data)
	p := &memObject{info: object.ObjectInfo{ETag: hex.EncodeToString(sum[:]), Size: int64(len(data)), LastModified: m.now}, data: append([]byte(nil), data...)}
	u.parts[partNumber] = p
	return object.PartInfo{PartNumber: partNumber, ETag: p.info.ETag, Size: p.info.Size, LastModified: m.now}, nil
}

func (m *memLayer) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart, opts object.CompleteOptions) (object.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.upload(uploadID)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	var data []byte
	var sizes []int64
	md := md5.New()
	for i, p := range parts {
		if i > 0 && p.PartNumber <= parts[i-1].PartNumber {
			return object.ObjectInfo{}, object.ErrInvalidPartOrder
		}
		mp, ok := u.parts[p.PartNumber]
		if !ok || mp.info.ETag != p.ETag {
			return object.ObjectInfo{}, object.ErrInvalidPart
		}
		raw, _ := hex.DecodeString(mp.info.ETag)
		md.Write(raw)
		data = append(data, mp.data...)
		sizes = append(sizes, mp.info.Size)
	}
	b, err := m.bucket(bucket)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	info := object.ObjectInfo{Bucket: bucket, Key: key, Size: int64(len(data)),
		ETag:         fmt.Sprintf("%x-%d", md.Sum(nil), len(parts)),
		LastModified: m.now, PartsCount: len(parts), Owner: u.up.Owner}
	if u.up.ChecksumAlgorithm != "" {
		info.Checksums = object.Checksums{Values: map[string]string{u.up.ChecksumAlgorithm: checksumOf(u.up.ChecksumAlgorithm, data)}, Type: object.ChecksumFullObject}
	}
	// The declared result is checked before anything is stored, as the
	// real layer does (the fake's checksums are all FULL_OBJECT).
	for algo, v := range opts.Checksums {
		if algo != u.up.ChecksumAlgorithm {
			return object.ObjectInfo{}, object.ErrChecksumAlgorithmMismatch
		}
		if info.Checksums.Values[algo] != v {
			return object.ObjectInfo{}, object.ErrChecksumMismatch
		}
	}
	if opts.CheckObjectSize && opts.ObjectSize != info.Size {
		return object.ObjectInfo{}, object.ErrObjectSizeMismatch
	}
	b.objects[key] = &memObject{info: info, data: data, parts: sizes}
	delete(m.uploads, uploadID)
	return info, nil
}

func (m *memLayer) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.upload(uploadID); err != nil {
		return err
	}
	delete(m.uploads, uploadID)
	return nil
}

func (m *memLayer) ListParts(ctx context.Context, bucket, key, uploadID string, marker, maxParts int) ([]object.PartInfo, bool, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, err := m.upload(uploadID)
	if err != nil {
		return nil, false, 0, err
	}
	var nums []int
	for n := range u.parts {
		if n > marker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	var out []object.PartInfo
	for _, n := range nums {
		if len(out) == maxParts {
			return out, true, out[len(out)-1].PartNumber, nil
		}
		p := u.parts[n]
		out = append(out, object.PartInfo{PartNumber: n, ETag: p.info.ETag, Size: p.info.Size, LastModified: m.now, Checksums: p.info.Checksums.Values})
	}
	return out, false, 0, nil
}

func (m *memLayer) ListMultipartUploads(ctx context.Context, bucket, prefix, delimiter, keyMarker, uploadIDMarker string, maxUploads int) ([]object.Upload, []string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.bucket(bucket); err != nil {
		return nil, nil, false, err
	}
	var ups []object.Upload
	for _, u := range m.uploads {
		if u.up.Bucket == bucket && strings.HasPrefix(u.up.Key, prefix) && u.up.Key > keyMarker {
			ups = append(ups, u.up)
		}
	}
	sort.Slice(ups, func(i, j int) bool { return ups[i].Key+ups[i].UploadID < ups[j].Key+ups[j].UploadID })
	if len(ups) > maxUploads {
		return ups[:maxUploads], nil, true, nil
	}
	return ups, nil, false, nil
}

var _ object.Layer = (*memLayer)(nil)
