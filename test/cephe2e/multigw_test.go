//go:build ceph

package cephe2e

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestThreeGateways runs three rustfs processes on one cluster and one
// RADOS namespace, sharing the root credentials and the local root secret,
// and checks that they serve one store: objects and multipart parts written
// through one are read, listed, completed and deleted through the others,
// and 3×10 racing PUTs of one key end with one consistent winner. At the
// end, with everything deleted, no shard piece is left in the data pools.
func TestThreeGateways(t *testing.T) {
	c := newCluster(t)
	ns := c.newNamespace(t)
	gws := startGateways(t, c, ns, 3, 0)
	const bucket = "e2e-three"
	createBucket(t, gws[0].client, bucket)
	for _, g := range gws[1:] {
		ctx, cancel := reqCtx(t)
		_, err := g.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
		cancel()
		if err != nil {
			t.Fatalf("bucket created through gw0, HeadBucket through %s: %v", g.name, err)
		}
	}

	t.Run("objects", func(t *testing.T) { testObjectsAcross(t, gws, bucket) })
	t.Run("multipart", func(t *testing.T) { testMultipartAcross(t, gws, bucket) })
	t.Run("overwrite-race", func(t *testing.T) { testOverwriteRace(t, gws, bucket) })

	emptyAndDelete(t, gws[2].client, bucket)
	if left := c.dataObjects(t, ns); len(left) != 0 {
		t.Errorf("%d shard pieces left in the data pools after every object was deleted (leak), e.g. %v",
			len(left), left[:min(len(left), 6)])
	}
}

// testObjectsAcross writes one object through each gateway and reads,
// heads, lists and deletes them through the others.
func testObjectsAcross(t *testing.T, gws []*gateway, bucket string) {
	objs := []struct {
		key  string
		data []byte
	}{
		{"obj/from-gw0", nil},                  // empty: one empty final chunk
		{"obj/from-gw1", body(11, 1027)},       // one stripe
		{"obj/from-gw2", body(12, 3<<20+4099)}, // four stripes
	}
	for i, o := range objs {
		mustPut(t, gws[i].client, bucket, o.key, o.data)
	}
	for i, o := range objs {
		for j, g := range gws {
			if j != i {
				mustGet(t, g.client, bucket, o.key, o.data, md5Hex(o.data))
			}
			ctx, cancel := reqCtx(t)
			h, err := g.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key)})
			cancel()
			if err != nil {
				t.Fatalf("HEAD %s through %s: %v", o.key, g.name, err)
			}
			if aws.ToInt64(h.ContentLength) != int64(len(o.data)) || unquote(h.ETag) != md5Hex(o.data) {
				t.Fatalf("HEAD %s through %s: %d bytes, ETag %s; want %d, %s", o.key, g.name,
					aws.ToInt64(h.ContentLength), unquote(h.ETag), len(o.data), md5Hex(o.data))
			}
		}
	}
	for _, g := range gws {
		got := listAll(t, g.client, bucket, "obj/")
		if len(got) != len(objs) {
			t.Fatalf("listing obj/ through %s: %+v", g.name, got)
		}
		for i, o := range objs {
			want := listEntry{Key: o.key, ETag: md5Hex(o.data), Size: int64(len(o.data))}
			if got[i] != want {
				t.Fatalf("listing obj/ through %s: entry %d is %+v, want %+v", g.name, i, got[i], want)
			}
		}
	}

	// A range across a chunk (stripe) boundary, written through gw2, read
	// through gw0.
	big := objs[2].data
	ctx, cancel := reqCtx(t)
	got, _, err := getObject(ctx, gws[0].client, bucket, objs[2].key, "bytes=1048000-2097999")
	cancel()
	if err != nil || !bytes.Equal(got, big[1048000:2098000]) {
		t.Fatalf("range across stripes through gw0: %d bytes, %v", len(got), err)
	}

	// Delete through one gateway, gone through all.
	ctx, cancel = reqCtx(t)
	_, err = gws[2].client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(objs[1].key)})
	cancel()
	if err != nil {
		t.Fatalf("DELETE %s through gw2: %v", objs[1].key, err)
	}
	for _, g := range gws {
		ctx, cancel := reqCtx(t)
		_, _, err := getObject(ctx, g.client, bucket, objs[1].key, "")
		cancel()
		if !isNotFound(err) || errCode(err) != "NoSuchKey" {
			t.Fatalf("GET of %s deleted through gw2, through %s: %v, want 404 NoSuchKey", objs[1].key, g.name, err)
		}
		if keys := listAll(t, g.client, bucket, "obj/"); len(keys) != 2 || keys[0].Key != objs[0].key || keys[1].Key != objs[2].key {
			t.Fatalf("listing after delete through %s: %+v", g.name, keys)
		}
	}
}

// testMultipartAcross creates an upload through gw0, uploads its parts
// concurrently through all three gateways, replaces one part through
// another gateway, lists the parts and uploads elsewhere, completes through
// gw1 and reads the object through gw2 and gw0.
func testMultipartAcross(t *testing.T, gws []*gateway, bucket string) {
	const key = "mpu/object"
	ctx, cancel := reqCtx(t)
	defer cancel()
	cu, err := gws[0].client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload through gw0: %v", err)
	}
	id := aws.ToString(cu.UploadId)
	parts := [][]byte{body(21, 5<<20), body(22, 5<<20+1), body(23, 777777)}
	upload := func(g *gateway, n int, data []byte) error {
		ctx, cancel := reqCtx(t)
		defer cancel()
		out, err := g.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
			PartNumber: aws.Int32(int32(n)), Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		})
		switch {
		case err != nil:
			return fmt.Errorf("UploadPart %d through %s: %w", n, g.name, err)
		case unquote(out.ETag) != md5Hex(data):
			return fmt.Errorf("UploadPart %d through %s: ETag %s, want %s", n, g.name, unquote(out.ETag), md5Hex(data))
		}
		return nil
	}
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		// Part i+1 through gateway (i+1) mod 3: none through the creator first.
		wg.Go(func() { errs[i] = upload(gws[(i+1)%3], i+1, parts[i]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Replace part 2 (first sent through gw2) through gw0.
	parts[1] = body(24, 5<<20+2)
	if err := upload(gws[0], 2, parts[1]); err != nil {
		t.Fatal(err)
	}

	for _, g := range gws {
		lp, err := g.client.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
		if err != nil {
			t.Fatalf("ListParts through %s: %v", g.name, err)
		}
		if len(lp.Parts) != 3 {
			t.Fatalf("ListParts through %s: %d parts, want 3", g.name, len(lp.Parts))
		}
		for i, p := range lp.Parts {
			if aws.ToInt32(p.PartNumber) != int32(i+1) || unquote(p.ETag) != md5Hex(parts[i]) || aws.ToInt64(p.Size) != int64(len(parts[i])) {
				t.Fatalf("ListParts through %s: part %d is #%d %s %d bytes, want %s %d bytes", g.name, i+1,
					aws.ToInt32(p.PartNumber), unquote(p.ETag), aws.ToInt64(p.Size), md5Hex(parts[i]), len(parts[i]))
			}
		}
	}
	lu, err := gws[1].client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListMultipartUploads through gw1: %v", err)
	}
	if len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != id || aws.ToString(lu.Uploads[0].Key) != key {
		t.Fatalf("ListMultipartUploads through gw1: %d uploads, want only %s", len(lu.Uploads), id)
	}

	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(`"` + md5Hex(p) + `"`)})
	}
	co, err := gws[1].client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload through gw1: %v", err)
	}
	wantETag := multipartETag(parts...)
	if unquote(co.ETag) != wantETag {
		t.Fatalf("CompleteMultipartUpload: ETag %s, want %s", unquote(co.ETag), wantETag)
	}
	whole := slices.Concat(parts...)
	mustGet(t, gws[2].client, bucket, key, whole, wantETag)
	// A range across the part 1 / part 2 boundary, through gw0.
	got, _, err := getObject(ctx, gws[0].client, bucket, key, fmt.Sprintf("bytes=%d-%d", 5<<20-100, 5<<20+99))
	if err != nil || !bytes.Equal(got, whole[5<<20-100:5<<20+100]) {
		t.Fatalf("range across parts through gw0: %d bytes, %v", len(got), err)
	}
	_, err = gws[2].client.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if httpStatus(err) != http.StatusNotFound || errCode(err) != "NoSuchUpload" {
		t.Fatalf("ListParts of the completed upload through gw2: %v, want 404 NoSuchUpload", err)
	}
}

// testOverwriteRace has every gateway PUT ten different bodies of one key,
// all thirty released at once, while a reader GETs the key through all
// gateways. Every PUT must succeed (S3: last writer wins); every GET must
// return one written body intact, or 404 before the first commit, or fail
// without a body when the version it read was overwritten and its shards
// deleted meanwhile (a 503, or a dropped connection once the gateway has
// sent its 200 headers). Afterwards all gateways
// must agree on one winner: GET body and ETag, HEAD and the listing.
func testOverwriteRace(t *testing.T, gws []*gateway, bucket string) {
	const key = "race/key"
	const perGateway = 10
	n := len(gws) * perGateway
	bodies := make([][]byte, n)
	byMD5 := make(map[string]int, n)
	for i := range bodies {
		size := 200<<10 + i*4099
		if i%5 == 0 {
			size = 3<<19 + i // 1.5 MiB: two stripes, a longer write
		}
		bodies[i] = body(uint64(1000+i), size)
		byMD5[md5Hex(bodies[i])] = i
	}

	start := make(chan struct{})
	stopReader := make(chan struct{})
	etags := make([]string, n)
	errs := make([]error, n)
	var writers, reader sync.WaitGroup
	for i := range n {
		g := gws[i%len(gws)]
		writers.Go(func() {
			<-start
			ctx, cancel := reqCtx(t)
			defer cancel()
			etags[i], errs[i] = putObject(ctx, g.client, bucket, key, bodies[i])
		})
	}
	// One reader per gateway; counters are per reader, summed after Wait.
	var reads, notYet, overwritten, dropped [3]int
	for r, g := range gws {
		reader.Go(func() {
			<-start
			for {
				select {
				case <-stopReader:
					return
				default:
				}
				ctx, cancel := reqCtx(t)
				got, etag, err := getObject(ctx, g.client, bucket, key, "")
				expired := ctx.Err() != nil
				cancel()
				switch {
				case err == nil:
					if _, ok := byMD5[md5Hex(got)]; !ok || etag != md5Hex(got) {
						t.Errorf("GET during the race through %s: %d bytes matching no written body (ETag %s)", g.name, len(got), etag)
						return
					}
					reads[r]++
				case isNotFound(err):
					notYet[r]++
				case httpStatus(err) == http.StatusServiceUnavailable:
					overwritten[r]++ // the version being read was replaced and cleaned up
				case httpStatus(err) == 0 && !expired:
					// The version being read was replaced and its shards
					// deleted after the gateway had committed to a 200
					// (s3api streams the body after the handler returned):
					// it can only drop the connection. No wrong bytes.
					dropped[r]++
				default:
					t.Errorf("GET during the race through %s: %v", g.name, err)
					return
				}
			}
		})
	}
	close(start)
	writers.Wait()
	close(stopReader)
	reader.Wait()
	sum := func(a [3]int) int { return a[0] + a[1] + a[2] }
	t.Logf("race: %d PUTs done; concurrent GETs: %d intact, %d before the first commit, %d 503 and %d dropped connections (version overwritten while read)",
		n, sum(reads), sum(notYet), sum(overwritten), sum(dropped))
	for i, err := range errs {
		if err != nil {
			t.Errorf("PUT %d through %s: %v", i, gws[i%len(gws)].name, err)
		} else if etags[i] != md5Hex(bodies[i]) {
			t.Errorf("PUT %d through %s: ETag %s, want %s", i, gws[i%len(gws)].name, etags[i], md5Hex(bodies[i]))
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	winner := -1
	for _, g := range gws {
		ctx, cancel := reqCtx(t)
		got, etag, err := getObject(ctx, g.client, bucket, key, "")
		if err != nil {
			cancel()
			t.Fatalf("GET after the race through %s: %v", g.name, err)
		}
		i, ok := byMD5[md5Hex(got)]
		if !ok || !bytes.Equal(got, bodies[i]) {
			cancel()
			t.Fatalf("GET after the race through %s: %d bytes matching no written body", g.name, len(got))
		}
		if winner >= 0 && i != winner {
			cancel()
			t.Fatalf("gateways disagree on the winner: body %d through %s, body %d before", i, g.name, winner)
		}
		winner = i
		if etag != etags[i] {
			cancel()
			t.Fatalf("GET through %s: ETag %s, the winning PUT acknowledged %s", g.name, etag, etags[i])
		}
		h, err := g.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		cancel()
		if err != nil {
			t.Fatalf("HEAD after the race through %s: %v", g.name, err)
		}
		if unquote(h.ETag) != etags[i] || aws.ToInt64(h.ContentLength) != int64(len(bodies[i])) {
			t.Fatalf("HEAD through %s: ETag %s, %d bytes; GET gave %s, %d bytes", g.name,
				unquote(h.ETag), aws.ToInt64(h.ContentLength), etags[i], len(bodies[i]))
		}
		list := listAll(t, g.client, bucket, "race/")
		want := listEntry{Key: key, ETag: etags[i], Size: int64(len(bodies[i]))}
		if len(list) != 1 || list[0] != want {
			t.Fatalf("listing race/ through %s: %+v, want exactly %+v", g.name, list, want)
		}
	}
	t.Logf("race winner: body %d (written through %s)", winner, gws[winner%len(gws)].name)
}
