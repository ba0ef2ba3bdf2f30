package test

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Root credentials every gateway of the package is started with.
const (
	testAccessKey = "RUSTFSTESTROOT01"
	testSecretKey = "rustfs-test-secret-key-0123456789"
	testRegion    = "us-east-1"
)

// fixtures are what every test of the package shares: the CA the clients
// trust, a scratch directory, a run id that keeps bucket names unique across
// runs (a Ceph cluster outlives a test run) and the in-process gateway.
type fixtures struct {
	dir     string
	ca      *testCA
	runID   string
	backend backendKind
	gw      *gateway
}

// fx is set up once by TestMain and read-only afterwards.
var fx *fixtures

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

// runMain sets up the shared fixtures, runs the tests and tears down.
func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rustfs-itest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	f := &fixtures{dir: dir}
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		return 2
	}
	f.runID = hex.EncodeToString(id[:])
	if f.backend, err = selectBackend(); err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		return 2
	}
	if f.ca, err = newTestCA(filepath.Join(dir, "tls")); err != nil {
		fmt.Fprintln(os.Stderr, "test setup:", err)
		return 2
	}
	fx = f
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gw, stop, err := startInProcess(ctx, f, filepath.Join(dir, "data"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "test setup: start gateway:", err)
		return 2
	}
	f.gw = gw
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "test teardown: stop gateway:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// gateway is one running S3 endpoint.
type gateway struct {
	// Addr is host:port; Endpoint is "https://" + Addr.
	Addr, Endpoint string
}

// bucketName returns a bucket name unique to this run: prefix (lower-case
// letters, digits and '-') plus the run id.
func bucketName(prefix string) string {
	return prefix + "-" + fx.runID
}

// testCtx returns a context that ends with the test (and at the latest
// after two minutes, so a hung request fails the test instead of the run).
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// randData returns n deterministic pseudo-random bytes for seed.
func randData(seed uint64, n int) []byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, n)
	_, _ = mrand.NewChaCha8(s).Read(b)
	return b
}

// sha256Hex returns the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// md5Hex returns the hex MD5 of b.
func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// multipartETag is S3's ETag of a completed multipart upload: the MD5 of
// the concatenated binary part MD5s, then "-" and the part count.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}

// fileSHA256 returns the hex SHA-256 of a file's contents.
func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeTree creates n files of varied sizes under dir (some in
// subdirectories) and returns their relative paths mapped to SHA-256.
func writeTree(t testing.TB, dir string, n int, seed uint64) map[string]string {
	t.Helper()
	out := make(map[string]string, n)
	for i := range n {
		rel := fmt.Sprintf("f%03d.bin", i)
		if i%3 == 1 {
			rel = filepath.Join(fmt.Sprintf("sub%d", i%4), rel)
		}
		data := randData(seed+uint64(i), 100+(i*997)%20000)
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out[filepath.ToSlash(rel)] = sha256Hex(data)
	}
	return out
}

// hashTree returns every regular file under dir, relative path to SHA-256.
func hashTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = fileSHA256(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// requireSameTree fails unless got holds exactly the files of want with
// the same contents.
func requireSameTree(t testing.TB, want, got map[string]string) {
	t.Helper()
	var diffs []string
	for k, v := range want {
		switch g, ok := got[k]; {
		case !ok:
			diffs = append(diffs, "missing "+k)
		case g != v:
			diffs = append(diffs, "content differs "+k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "unexpected "+k)
		}
	}
	if len(diffs) > 0 {
		if len(diffs) > 10 {
			diffs = append(diffs[:10], fmt.Sprintf("... %d more", len(diffs)-10))
		}
		t.Fatalf("trees differ (%d files wanted, %d got):\n%s", len(want), len(got), strings.Join(diffs, "\n"))
	}
}

// errorsAs is errors.As with the target allocated for the caller.
func errorsAs[T any](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}
