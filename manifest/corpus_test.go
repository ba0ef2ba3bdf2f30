package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSeedCorpus regenerates testdata/fuzz/FuzzUnmarshal when
// RUSTFS_WRITE_CORPUS=1; otherwise it checks that the corpus exists.
func TestWriteSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzUnmarshal")
	if os.Getenv("RUSTFS_WRITE_CORPUS") != "1" {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) == 0 {
			t.Fatalf("seed corpus missing (%v); run with RUSTFS_WRITE_CORPUS=1", err)
		}
		return
	}
	seeds := map[string][]byte{}
	for name, m := range map[string]*Manifest{"zero": {}, "sample": sample(), "single": single(), "parts": partsOf(1, 0, 2)} {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		seeds["valid-"+name] = b
		seeds["truncated-"+name] = b[:len(b)*2/3]
	}
	seeds["valid-handbuilt"] = cat(baseSegs()...)
	seeds["bad-version"] = with(segHeader, []byte("RFSM\x02"))
	seeds["unsorted-map"] = with(segUserMeta, cat(uvB(2), strB("b"), strB("1"), strB("a"), strB("2")))
	seeds["osd-table-order"] = with(segParts, cat(uvB(1), partB(1, 10, 1, 0)))
	seeds["huge-count"] = with(segParts, cat(uvB(MaxParts), partB(1, 10, 0, 1)))
	seeds["non-shortest"] = with(segETag, []byte{0x84, 0x00, 'e', 't', 'a', 'g'})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
