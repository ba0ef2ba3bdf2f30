package failure

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/tasmaniancloud/rustfs/bench/gateway"
)

// kill9Ops are the operations the server is killed in the middle of.
var kill9Ops = []string{"PutObject", "CompleteMultipartUpload", "CopyObject", "DeleteObject", "DeleteObjects"}

// kill9 runs the real binary and kills it with SIGKILL at random points of
// each operation, and of heal; after every kill it restarts the binary,
// runs `rustfs heal` and reads back everything acknowledged. At the end the
// data directory is collected in-process with grace 0 and measured.
func kill9(tr *trial) {
	t := tr.t
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	bin, err := gateway.BuildBinary(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("build rustfs: %v", err)
	}
	for _, op := range kill9Ops {
		t.Run(op, func(t *testing.T) { kill9Op(tr.sub(t), bin, op) })
	}
	t.Run("heal", func(t *testing.T) { kill9Heal(tr.sub(t), bin) })
}

// server is the binary under test over one data directory.
type server struct {
	tr  *trial
	bin string
	dir string
	p   *gateway.Process
	c   *s3.Client
}

// start runs the binary over s.dir (64 KiB chunks).
func (s *server) start() {
	t := s.tr.t
	t.Helper()
	p, err := gateway.StartProcess(s.bin, gateway.Options{Dir: s.dir, ChunkSize: chunkSize})
	if err != nil {
		t.Fatalf("start rustfs: %v", err)
	}
	c, err := sdkClient(p)
	if err != nil {
		p.Close()
		t.Fatalf("client: %v", err)
	}
	s.p, s.c = p, c
}

// kill kills the server with SIGKILL and reaps it.
func (s *server) kill() {
	_ = syscall.Kill(s.p.Pid, syscall.SIGKILL)
	_ = s.p.Close() // reports the kill; the directory stays
	s.p = nil
	s.tr.fault(1)
}

// release stops a server a failed test left running.
func (s *server) release() {
	if s.p != nil {
		_ = s.p.Close()
		s.p = nil
	}
}

// stop stops the server cleanly.
func (s *server) stop() {
	if s.p == nil {
		return
	}
	if err := s.p.Close(); err != nil {
		s.tr.t.Errorf("stop rustfs: %v", err)
	}
	s.p = nil
}

// heal runs `rustfs heal` against the running server; it must end with
// status 0 (nothing unrecoverable).
func (s *server) heal(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, "heal", "--endpoint", s.p.Endpoint, "--ca-cert", s.p.CAFile)
	cmd.Env = append(os.Environ(), "RUSTFS_ACCESS_KEY="+s.p.AccessKey, "RUSTFS_SECRET_KEY="+s.p.SecretKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("rustfs heal: %v\n%s", err, tail(string(out), 1000))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// pendingUpload is a CompleteMultipartUpload the kill interrupted.
type pendingUpload struct {
	key, id, etag string
	data          []byte
}

// kill9Op kills the server during op, again and again.
func kill9Op(tr *trial, bin, op string) {
	t := tr.t
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	s := &server{tr: tr, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.release)
	b := "kill9-" + strings.ToLower(op)
	s.start()
	if _, err := s.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		s.stop()
		t.Fatalf("create bucket: %v", err)
	}
	src := tr.payload(3*chunkSize + 5)
	if err := sdkPut(ctx, s.c, b, "source", src); err != nil {
		s.stop()
		t.Fatalf("put source: %v", err)
	}
	tr.l.acked(b, "source", src)
	var mu sync.Mutex
	var pending []pendingUpload
	next := 0
	for round := range scale(4, 16) {
		if s.p == nil {
			s.start()
		}
		wctx, stopWorkers := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for w := range 3 {
			// Each worker has its own random source, seeded from the run's.
			seed := tr.rng.Uint64()
			wg.Go(func() {
				wt := &trial{t: t, st: tr.st, l: tr.l, rng: newRand(seed)}
				for i := 0; wctx.Err() == nil; i++ {
					mu.Lock()
					n := next
					next++
					mu.Unlock()
					k := fmt.Sprintf("k/%d-%d-%d", round, w, n)
					if p, ok := runOp(wctx, wt, s.c, op, b, k, src); ok {
						mu.Lock()
						pending = append(pending, p)
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(20+tr.rng.IntN(400)) * time.Millisecond)
		s.kill()
		stopWorkers()
		wg.Wait()
		s.start()
		if err := s.heal(ctx); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		// A retried Complete with the same part list returns the
		// committed object (crash-safe, idempotent Complete); every other
		// interrupted upload is aborted instead, which must work right
		// after the restart (or answer NoSuchUpload when the Complete had
		// committed: the read-back then finds the object).
		for i, p := range pending {
			if i%2 == 1 {
				_, err := s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(p.key), UploadId: aws.String(p.id)})
				if err != nil && s3Code(err) != "NoSuchUpload" {
					t.Errorf("round %d: Abort of %s right after a restart: %v", round, p.key, err)
				}
				continue
			}
			if err := complete(ctx, s.c, b, p.key, p.id, p.etag); err != nil {
				t.Errorf("round %d: retried Complete of %s after a kill: %v", round, p.key, err)
				continue
			}
			tr.l.acked(b, p.key, p.data)
		}
		pending = pending[:0]
		tr.l.verify(t, ctx, fmt.Sprintf("round %d: killed during %s, restarted and healed", round, op), sdkGetter(s.c))
		if t.Failed() {
			break
		}
	}
	s.stop()
	collectDir(tr, ctx, s.dir)
}

// runOp runs one op on key k, recording outcomes in the ledger. An
// interrupted Complete is returned for a retry.
func runOp(ctx context.Context, tr *trial, c *s3.Client, op, b, k string, src []byte) (pendingUpload, bool) {
	switch op {
	case "PutObject":
		data := tr.payload(tr.size())
		tr.l.doubt(b, k, data)
		if sdkPut(ctx, c, b, k, data) == nil {
			tr.l.acked(b, k, data)
		}
	case "CompleteMultipartUpload":
		data := tr.payload(tr.size() + 1)
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(k)})
		if err != nil {
			return pendingUpload{}, false
		}
		if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(k), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader(string(data)), ContentLength: aws.Int64(int64(len(data)))}); err != nil {
			return pendingUpload{}, false
		}
		sum := md5.Sum(data)
		etag := hex.EncodeToString(sum[:])
		tr.l.doubt(b, k, data)
		if err := complete(ctx, c, b, k, *up.UploadId, etag); err != nil {
			return pendingUpload{key: k, id: *up.UploadId, etag: etag, data: data}, true
		}
		tr.l.acked(b, k, data)
	case "CopyObject":
		tr.l.doubt(b, k, src)
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String(k),
			CopySource: aws.String(b + "/source")}); err == nil {
			tr.l.acked(b, k, src)
		}
	case "DeleteObject":
		data := tr.payload(tr.size())
		if sdkPut(ctx, c, b, k, data) != nil {
			return pendingUpload{}, false
		}
		tr.l.acked(b, k, data)
		tr.l.doubt(b, k, nil)
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(k)}); err == nil {
			tr.l.deleted(b, k)
		}
	case "DeleteObjects":
		var ids []types.ObjectIdentifier
		for j := range 8 {
			kj := fmt.Sprintf("%s.%d", k, j)
			data := tr.payload(tr.rng.IntN(chunkSize))
			if sdkPut(ctx, c, b, kj, data) != nil {
				return pendingUpload{}, false
			}
			tr.l.acked(b, kj, data)
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(kj)})
		}
		for _, id := range ids {
			tr.l.doubt(b, *id.Key, nil)
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids}})
		if err != nil {
			return pendingUpload{}, false
		}
		for _, d := range out.Deleted {
			tr.l.deleted(b, *d.Key)
		}
		for _, e := range out.Errors {
			tr.t.Errorf("DeleteObjects on a live server: %s: %s %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	return pendingUpload{}, false
}

// complete completes a one-part upload.
func complete(ctx context.Context, c *s3.Client, b, k, id, etag string) error {
	_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(k), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"` + etag + `"`)}}}})
	return err
}

// kill9Heal damages one OSD (its shards removed), then kills the server
// while `rustfs heal` runs, restarts it and heals again.
func kill9Heal(tr *trial, bin string) {
	t := tr.t
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	s := &server{tr: tr, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.release)
	b := "kill9-heal"
	s.start()
	if _, err := s.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		s.stop()
		t.Fatalf("create bucket: %v", err)
	}
	for i := range scale(40, 200) {
		data := tr.payload(tr.size())
		if err := sdkPut(ctx, s.c, b, key("o", i), data); err != nil {
			s.stop()
			t.Fatalf("PUT: %v", err)
		}
		tr.l.acked(b, key("o", i), data)
	}
	s.stop()
	for round := range scale(3, 10) {
		osd := filepath.Join(s.dir, fmt.Sprintf("osd%d", tr.rng.IntN(fullShards)))
		removeShards(osd)
		tr.fault(1)
		s.start()
		healed := make(chan error, 1)
		go func() { healed <- s.heal(ctx) }()
		time.Sleep(time.Duration(10+tr.rng.IntN(300)) * time.Millisecond)
		s.kill()
		<-healed // fails or not: the server died under it
		s.start()
		if err := s.heal(ctx); err != nil {
			t.Errorf("round %d: heal after a kill during heal: %v", round, err)
		}
		tr.l.verify(t, ctx, fmt.Sprintf("round %d: killed during heal", round), sdkGetter(s.c))
		s.stop()
		if t.Failed() {
			break
		}
	}
	collectDir(tr, ctx, s.dir)
}

// removeShards deletes every committed shard of one OSD directory.
func removeShards(osd string) {
	_ = filepath.WalkDir(filepath.Join(osd, "shards"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			_ = os.Remove(p)
		}
		return nil
	})
}

// collectDir opens the stopped server's data directory in-process, reads
// everything back, runs GC and orphan collection with grace 0 and the temp
// sweep, and measures the garbage left.
func collectDir(tr *trial, ctx context.Context, dir string) {
	t := tr.t
	e := &env{t: t, dir: dir, keyPath: filepath.Join(dir, "keys", "root.key")}
	if err := e.open(); err != nil {
		t.Errorf("open the data directory in-process: %v", err)
		return
	}
	defer e.close()
	tr.l.verify(t, ctx, "in-process, after the last restart", get(e))
	if err := e.collect(ctx); err != nil {
		t.Errorf("garbage collection: %v", err)
	}
	n, what, err := garbage(ctx, e.lb, e.sb.Meta())
	if err != nil {
		t.Errorf("measure garbage: %v", err)
		return
	}
	tr.st.garbageBytes.Add(n)
	if n != 0 {
		t.Errorf("%d garbage bytes left after GC with grace 0: %s", n, what)
	}
	tr.l.verify(t, ctx, "after GC", get(e))
}
