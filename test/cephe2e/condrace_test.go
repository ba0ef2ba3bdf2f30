//go:build ceph

package cephe2e

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// raceWriters is how many conditional writers race per round, split
// evenly across the two gateways.
const raceWriters = 8

// TestConditionalWriteRace runs two rustfs processes on one RADOS
// namespace and races conditional writes of one key across them: the
// If-None-Match / If-Match check and the commit must be one atomic step in
// the shared store, not per gateway. Each round must end with exactly one
// writer acknowledged, every other one refused with 412 PreconditionFailed
// or 409 ConditionalRequestConflict, and both gateways serving the
// winner's body and ETag.
func TestConditionalWriteRace(t *testing.T) {
	c := newCluster(t)
	ns := c.newNamespace(t)
	gws := startGateways(t, c, ns, 2, 0)
	const bucket = "e2e-condrace"
	createBucket(t, gws[0].client, bucket)

	t.Run("put-if-none-match", func(t *testing.T) {
		const key = "cond/put-create"
		bodies := raceBodies(100)
		winner, etag := raceRound(t, gws, "PutObject If-None-Match: *", func(ctx context.Context, i int) (string, error) {
			out, err := gws[i%2].client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(key), IfNoneMatch: aws.String("*"),
				Body: bytes.NewReader(bodies[i]), ContentLength: aws.Int64(int64(len(bodies[i]))),
			})
			if err != nil {
				return "", err
			}
			return unquote(out.ETag), nil
		})
		checkWinner(t, gws, bucket, key, bodies[winner], etag)

		// Then K overwrites conditioned on that ETag: one replaces it, the
		// others find the ETag already changed.
		over := raceBodies(200)
		w2, etag2 := raceRound(t, gws, "PutObject If-Match", func(ctx context.Context, i int) (string, error) {
			out, err := gws[i%2].client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(`"` + etag + `"`),
				Body: bytes.NewReader(over[i]), ContentLength: aws.Int64(int64(len(over[i]))),
			})
			if err != nil {
				return "", err
			}
			return unquote(out.ETag), nil
		})
		checkWinner(t, gws, bucket, key, over[w2], etag2)
	})

	t.Run("complete-if-none-match", func(t *testing.T) {
		const key = "cond/mpu-create"
		bodies := raceBodies(300)
		// One single-part upload per writer, each created and filled
		// through the gateway that will complete it.
		ids := make([]string, raceWriters)
		for i := range ids {
			g := gws[i%2]
			ctx, cancel := reqCtx(t)
			cu, err := g.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				cancel()
				t.Fatalf("CreateMultipartUpload %d through %s: %v", i, g.name, err)
			}
			ids[i] = aws.ToString(cu.UploadId)
			_, err = g.client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(ids[i]), PartNumber: aws.Int32(1),
				Body: bytes.NewReader(bodies[i]), ContentLength: aws.Int64(int64(len(bodies[i]))),
			})
			cancel()
			if err != nil {
				t.Fatalf("UploadPart of upload %d through %s: %v", i, g.name, err)
			}
		}
		winner, etag := raceRound(t, gws, "CompleteMultipartUpload If-None-Match: *", func(ctx context.Context, i int) (string, error) {
			out, err := gws[i%2].client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
				Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(ids[i]), IfNoneMatch: aws.String("*"),
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
					{PartNumber: aws.Int32(1), ETag: aws.String(`"` + md5Hex(bodies[i]) + `"`)},
				}},
			})
			if err != nil {
				return "", err
			}
			return unquote(out.ETag), nil
		})
		if want := multipartETag(bodies[winner]); etag != want {
			t.Fatalf("winning Complete acknowledged ETag %s, want %s", etag, want)
		}
		checkWinner(t, gws, bucket, key, bodies[winner], etag)
		// The refused uploads stay open (S3 keeps them for a retry); abort
		// them so the bucket can be emptied.
		for i, id := range ids {
			if i == winner {
				continue
			}
			ctx, cancel := reqCtx(t)
			_, err := gws[0].client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
			cancel()
			if err != nil && errCode(err) != "NoSuchUpload" {
				t.Fatalf("abort losing upload %d: %v", i, err)
			}
		}
	})

	emptyAndDelete(t, gws[1].client, bucket)
}

// raceBodies returns raceWriters distinct bodies of a few hundred KiB.
func raceBodies(seed uint64) [][]byte {
	out := make([][]byte, raceWriters)
	for i := range out {
		out[i] = body(seed+uint64(i), 150<<10+i*1031)
	}
	return out
}

// raceRound releases raceWriters calls of write at once and checks that
// exactly one succeeded and every other was refused as a failed or
// conflicting precondition. It returns the winner's index and ETag.
func raceRound(t *testing.T, gws []*gateway, what string, write func(ctx context.Context, i int) (string, error)) (int, string) {
	t.Helper()
	start := make(chan struct{})
	etags := make([]string, raceWriters)
	errs := make([]error, raceWriters)
	var wg sync.WaitGroup
	for i := range raceWriters {
		wg.Go(func() {
			<-start
			ctx, cancel := reqCtx(t)
			defer cancel()
			etags[i], errs[i] = write(ctx, i)
		})
	}
	close(start)
	wg.Wait()
	winner, refused412, refused409 := -1, 0, 0
	for i, err := range errs {
		g := gws[i%len(gws)].name
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: writers %d (%s) and %d both acknowledged: the condition is not atomic across gateways",
				what, winner, gws[winner%len(gws)].name, i)
		case err == nil:
			winner = i
		case httpStatus(err) == http.StatusPreconditionFailed && errCode(err) == "PreconditionFailed":
			refused412++
		case httpStatus(err) == http.StatusConflict && errCode(err) == "ConditionalRequestConflict":
			refused409++
		default:
			t.Fatalf("%s: writer %d through %s: %v, want success, 412 PreconditionFailed or 409 ConditionalRequestConflict", what, i, g, err)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: all %d writers refused (%d×412, %d×409), want exactly one winner", what, raceWriters, refused412, refused409)
	}
	t.Logf("%s: writer %d through %s won; %d refused 412, %d refused 409", what, winner, gws[winner%len(gws)].name, refused412, refused409)
	return winner, etags[winner]
}

// checkWinner checks that every gateway serves want under key with ETag
// etag.
func checkWinner(t *testing.T, gws []*gateway, bucket, key string, want []byte, etag string) {
	t.Helper()
	for _, g := range gws {
		ctx, cancel := reqCtx(t)
		got, gotETag, err := getObject(ctx, g.client, bucket, key, "")
		cancel()
		if err != nil {
			t.Fatalf("GET %s after the race through %s: %v", key, g.name, err)
		}
		if !bytes.Equal(got, want) || gotETag != etag {
			t.Fatalf("GET %s after the race through %s: %d bytes ETag %s (same body: %v), want the winner's %d bytes ETag %s",
				key, g.name, len(got), gotETag, bytes.Equal(got, want), len(want), etag)
		}
	}
}
