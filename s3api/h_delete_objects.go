package s3api

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"hash/crc32"
	"net/http"
	"sync"

	"github.com/minio/crc64nvme"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// deleteParallelism bounds concurrent deletes of one DeleteObjects call.
const deleteParallelism = 8

// deleteObjects serves POST /bucket?delete. S3 requires an integrity check
// on this body: Content-MD5 or any flexible checksum (header or trailer),
// and whichever is given is verified.
func (r *request) deleteObjects() error {
	md5sum, err := r.contentMD5()
	if err != nil {
		return err
	}
	sums, err := r.checksumHeaders()
	if err != nil {
		return err
	}
	if md5sum == nil && sums.algorithm == "" {
		return s3err.Newf(s3err.InvalidRequest, "Missing required header for this request: Content-MD5")
	}
	body, err := r.readSmallBodyWithTrailers(maxDeleteBody)
	if err != nil {
		return err
	}
	if md5sum != nil {
		got := md5.Sum(body.data)
		if !bytes.Equal(got[:], md5sum) {
			return s3err.New(s3err.BadDigest)
		}
	}
	if sums.algorithm != "" {
		want := sums.values[sums.algorithm]
		if want == "" {
			want = body.trailers[sums.algorithm]
		}
		if want == "" {
			return s3err.Newf(s3err.InvalidRequest, "The x-amz-checksum-%s value is missing.", sums.algorithm)
		}
		if checksumOf(sums.algorithm, body.data) != want {
			return s3err.Newf(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", upperAlgo(sums.algorithm))
		}
	}
	req, err := parseDeleteRequest(body.data)
	if err != nil {
		return err
	}
	results := make([]error, len(req.Objects))
	done := make([]object.DeleteResult, len(req.Objects))
	versioner, versioned := r.s.o.Layer.(object.Versioner)
	bypass := false
	if versioned {
		if bypass, err = r.bypassGovernance(); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, deleteParallelism)
	denied := 0
	for i, o := range req.Objects {
		// DeleteObjects has no permission of its own: each key needs
		// s3:DeleteObject, and a denied key is an AccessDenied entry.
		// A version id needs s3:DeleteObjectVersion, as in S3.
		action := iam.DeleteObject
		if o.VersionID != "" {
			action = iam.DeleteObjectVersion
		}
		if err := r.s.authorizeAction(r, nil, action, r.bucket, o.Key); err != nil {
			results[i] = err
			denied++
			continue
		}
		if !versioned && o.VersionID != "" && o.VersionID != "null" {
			results[i] = s3err.New(s3err.NoSuchVersion)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var err error
			if versioned {
				done[i], err = versioner.DeleteObjectVersion(r.cx, object.DeleteInput{Bucket: r.bucket, Key: o.Key, VersionID: o.VersionID, BypassGovernance: bypass})
			} else {
				err = r.s.o.Layer.DeleteObject(r.cx, r.bucket, o.Key)
			}
			if errors.Is(err, object.ErrNoSuchKey) || errors.Is(err, object.ErrNoSuchVersion) {
				err = nil // deleting a missing key or version succeeds in S3
			}
			results[i] = err
		}()
	}
	wg.Wait()
	if r.principal.Anonymous && denied == len(req.Objects) {
		// Nothing granted: an anonymous caller learns no more than from
		// any other refused request.
		return s3err.New(s3err.AccessDenied)
	}
	res := deleteResult{Xmlns: s3NS}
	for i, o := range req.Objects {
		if err := results[i]; err != nil {
			e := s3err.From(err)
			if e.Status >= 500 {
				r.s.log.Error("s3api: DeleteObjects entry failed", "id", r.id, "key", o.Key, "err", err)
			}
			res.Errors = append(res.Errors, deleteError{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		if !req.Quiet {
			d := deletedObject{Key: o.Key, VersionID: o.VersionID}
			if done[i].DeleteMarker {
				d.DeleteMarker = true
				d.DeleteMarkerVersionID = done[i].VersionID
			}
			res.Deleted = append(res.Deleted, d)
		}
	}
	return r.writeXML(http.StatusOK, res)
}

// smallBody is a fully read request document with its trailer checksums.
type smallBody struct {
	data     []byte
	trailers map[string]string
}

// readSmallBodyWithTrailers is readSmallBody keeping aws-chunked trailers.
func (r *request) readSmallBodyWithTrailers(limit int64) (smallBody, error) {
	body, _, err := r.openBody(limit, s3err.MaxMessageLengthExceeded, false)
	if err != nil {
		return smallBody{}, err
	}
	data, err := readAllLimited(body, limit)
	if err != nil {
		return smallBody{}, err
	}
	return smallBody{data: data, trailers: body.TrailerChecksums()}, nil
}

// checksumOf computes a flexible checksum of data, base64-encoded.
func checksumOf(algo string, data []byte) string {
	var h hash.Hash
	switch algo {
	case "crc32":
		h = crc32.NewIEEE()
	case "crc32c":
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "crc64nvme":
		h = crc64nvme.New()
	case "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	default:
		return ""
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
