package test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSDKPartResend: a client resends part 1 while its first upload of
// part 1 is still streaming, and the resend completes before the first
// upload's body ends (issue 14). As in the object layer
// (object.TestPartResendWhileFirstRuns), the later-started upload wins:
// both UploadParts succeed, each answering the MD5 of its own bytes, but
// the part stays the resend's, so ListParts shows only the resend, Complete
// with the resend's ETag succeeds and the object holds its bytes, while
// Complete with the superseded upload's ETag is InvalidPart.
func TestSDKPartResend(t *testing.T) {
	t.Parallel()
	// No checksums: the SDK sends the pipe as a plain UNSIGNED-PAYLOAD body
	// of the given Content-Length (with them it would go aws-chunked with
	// a CRC trailer, which streams just as well).
	c := fx.gw.sdk(checksumsOff)
	bucket := bucketName("sdk-part-resend")
	createBucket(t, c, bucket)
	lead := unreadBound(t)

	t.Run("complete-with-resend", func(t *testing.T) {
		u := newUpload(t, c, bucket, "resend-wins", nil)
		first := randData(81, lead+(1<<20)+5)
		resend := randData(82, (1<<20)+17)
		_, resendETag := resendDuringFirst(t, u, first, lead, resend)

		out, err := u.complete(cp(1, resendETag))
		if err != nil {
			t.Fatalf("Complete with the resend's ETag: %v", err)
		}
		if want := multipartETag(resend); unquote(out.ETag) != want {
			t.Errorf("Complete ETag %s, want %s", unquote(out.ETag), want)
		}
		_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key)})
		if len(got) != len(resend) || sha256Hex(got) != sha256Hex(resend) {
			t.Fatalf("GetObject: %d bytes, not the resend's %d (the first upload's were %d)", len(got), len(resend), len(first))
		}
	})

	t.Run("complete-with-first", func(t *testing.T) {
		u := newUpload(t, c, bucket, "first-loses", nil)
		first := randData(83, lead+(2<<20)+3)
		resend := randData(84, 777)
		firstETag, resendETag := resendDuringFirst(t, u, first, lead, resend)

		_, err := u.complete(cp(1, firstETag))
		requireCode(t, err, http.StatusBadRequest, "InvalidPart")
		requireAbsent(t, c, bucket, u.key)
		// The failed Complete leaves the upload as it was.
		if _, err := u.complete(cp(1, resendETag)); err != nil {
			t.Fatalf("Complete with the resend's ETag after the refused one: %v", err)
		}
		_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key)})
		if len(got) != len(resend) || sha256Hex(got) != sha256Hex(resend) {
			t.Fatalf("GetObject: %d bytes, not the resend's %d", len(got), len(resend))
		}
	})
}

// resendDuringFirst uploads part 1 of u twice, overlapping: the first
// upload sends first through a pipe and stalls after lead bytes; once the
// gateway is reading that body, the resend uploads resend whole; then the
// rest of first goes. Both UploadParts must succeed with the MD5 of their
// own bytes, and ListParts must then show part 1 as the resend alone. It
// returns the two ETags, quoted as the gateway sent them.
//
// lead (see unreadBound) is more than the connection can hold unread, so
// the client's transport taking all of it from the pipe means the gateway
// has read some of the body. It reads a part's body only inside the object
// layer's part upload, after stamping that upload's start, which is what
// decides which upload of a part stays: so the first upload has provably
// started before the resend, with no sleep and no timing assumption.
func resendDuringFirst(t *testing.T, u *mpu, first []byte, lead int, resend []byte) (firstETag, resendETag string) {
	t.Helper()
	ctx := testCtx(t)
	// The SDK sends an *io.PipeReader with Transfer-Encoding: chunked and
	// no Content-Length although it signed one (aws/aws-sdk-go-v2#2512),
	// which the gateway rightly answers SignatureDoesNotMatch; hidden
	// behind another type the pipe goes with its Content-Length.
	pr, pw := io.Pipe()
	type result struct {
		out *s3.UploadPartOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := u.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(u.bucket), Key: aws.String(u.key),
			UploadId: aws.String(u.id), PartNumber: aws.Int32(1), Body: struct{ io.Reader }{pr},
			ContentLength: aws.Int64(int64(len(first)))})
		// A request that ends early unblocks the writes below.
		pr.CloseWithError(errors.New("the first UploadPart returned"))
		done <- result{out, err}
	}()
	// firstFailed reports the first UploadPart's outcome when writing its
	// body failed.
	firstFailed := func(werr error) {
		t.Helper()
		r := <-done
		t.Fatalf("first UploadPart: body write: %v; request: %v", werr, r.err)
	}
	if _, err := pw.Write(first[:lead]); err != nil {
		firstFailed(err)
	}

	resendETag = u.part(1, resend)

	if _, err := pw.Write(first[lead:]); err != nil {
		firstFailed(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("the superseded UploadPart: %v", r.err)
	}
	firstETag = aws.ToString(r.out.ETag)
	if unquote(r.out.ETag) != md5Hex(first) {
		t.Errorf("the superseded UploadPart: ETag %s, want the MD5 of its bytes %s", firstETag, md5Hex(first))
	}
	if firstETag == resendETag {
		t.Fatalf("both uploads answered ETag %s", firstETag)
	}

	lp, err := u.c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(u.bucket), Key: aws.String(u.key), UploadId: aws.String(u.id)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(lp.Parts) != 1 {
		t.Fatalf("ListParts: %d parts, want 1", len(lp.Parts))
	}
	p := lp.Parts[0]
	if aws.ToInt32(p.PartNumber) != 1 || aws.ToString(p.ETag) != resendETag || aws.ToInt64(p.Size) != int64(len(resend)) {
		t.Fatalf("ListParts: part %d ETag %s size %d; want the resend: part 1 ETag %s size %d (the first upload: ETag %s size %d)",
			aws.ToInt32(p.PartNumber), aws.ToString(p.ETag), aws.ToInt64(p.Size), resendETag, len(resend), firstETag, len(first))
	}
	return firstETag, resendETag
}

// unreadBound returns more body bytes than a client can hand to a loopback
// TCP connection without the server reading any: the kernel's largest
// automatic TCP send and receive buffers (or explicit socket buffers,
// which the kernel doubles), plus 1 MiB for the TLS records, the server's
// read buffer and the transport's copy buffer in between. Without
// /proc/sys (not Linux) it assumes 64 MiB of buffers.
func unreadBound(t testing.TB) int {
	t.Helper()
	const slack = 1 << 20
	wmem, err1 := procSysMax("/proc/sys/net/ipv4/tcp_wmem", "/proc/sys/net/core/wmem_max")
	rmem, err2 := procSysMax("/proc/sys/net/ipv4/tcp_rmem", "/proc/sys/net/core/rmem_max")
	if err := errors.Join(err1, err2); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 64<<20 + slack
		}
		t.Fatalf("socket buffer limits: %v", err)
	}
	return wmem + rmem + slack
}

// procSysMax returns the largest socket buffer the kernel allows on one
// side: the last field of tcpPath (autotuning's ceiling) or twice the
// value in corePath (the ceiling of an explicit SO_SNDBUF/SO_RCVBUF, which
// the kernel doubles), whichever is larger.
func procSysMax(tcpPath, corePath string) (int, error) {
	var vals [2]int
	for i, p := range []string{tcpPath, corePath} {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, fmt.Errorf("%s: empty", p)
		}
		if vals[i], err = strconv.Atoi(f[len(f)-1]); err != nil {
			return 0, fmt.Errorf("%s: %w", p, err)
		}
	}
	return max(vals[0], 2*vals[1]), nil
}
