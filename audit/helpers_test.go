package audit

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

var quiet = slog.New(slog.DiscardHandler)

var (
	keyOnce sync.Once
	testKey *Signer
)

// testSigner is one ML-DSA-65 key shared by the package's tests.
func testSigner(t testing.TB) *Signer {
	t.Helper()
	keyOnce.Do(func() {
		_, sk, err := mldsa65.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		testKey = KeySigner(sk, "test/sig/1")
	})
	return testKey
}

// writeLog logs n requests through a Logger on a FileSink at path and
// closes it (a final checkpoint); every `every` records get a checkpoint.
func writeLog(t testing.TB, path string, n, every int, maxSize int64) {
	t.Helper()
	fs, err := OpenFile(FileOptions{Path: path, MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(Options{GatewayID: "gw1", Signer: testSigner(t), Sinks: []Sink{fs}, Start: fs.Head(),
		CheckpointEvery: every, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		l.Log(Record{Time: time.Unix(1700000000, int64(i)), RequestID: fmt.Sprintf("R%04d", i),
			Operation: "PutObject", Bucket: "b", Key: fmt.Sprintf("k%d", i), Status: 200, Decision: "allow:root"})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// logFiles returns path's rotated files then path.
func logFiles(t testing.TB, path string) []string {
	t.Helper()
	r, err := RotatedFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	return append(r, path)
}

// readLines splits a file into its lines (without '\n').
func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

func writeLines(t testing.TB, path string, lines [][]byte) {
	t.Helper()
	out := append(bytes.Join(lines, []byte("\n")), '\n')
	if len(lines) == 0 {
		out = nil
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// wantBad asserts Verify fails naming line (1-based) with reason containing substr.
func wantBad(t *testing.T, files []string, o VerifyOptions, line int, substr string) {
	t.Helper()
	_, err := Verify(files, o)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Verify = %v, want a VerifyError", err)
	}
	if (line > 0 && ve.Line != line) || !strings.Contains(ve.Reason, substr) {
		t.Fatalf("Verify = %v, want line %d containing %q", err, line, substr)
	}
}

func tempLog(t testing.TB) string { return filepath.Join(t.TempDir(), "audit.log") }
