package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

func TestIntactLogVerifies(t *testing.T) {
	path := tempLog(t)
	writeLog(t, path, 25, 10, 0)
	rep, err := Verify([]string{path}, VerifyOptions{PubFP: Fingerprint(testSigner(t).PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	// 25 records, checkpoints after 10 and 20 and the final one.
	if rep.Records != 25 || rep.Checkpoints != 3 || !rep.Final || rep.Tail != 0 || rep.Last != 25 {
		t.Fatalf("report %+v", rep)
	}
	lines := readLines(t, path)
	var r Record
	if err := json.Unmarshal(lines[0], &r); err != nil {
		t.Fatal(err)
	}
	if r.Seq != 1 || r.GatewayID != "gw1" || r.Key != "k0" || r.Type != TypeRequest || r.Time.Location().String() != "UTC" {
		t.Fatalf("first record %+v", r)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	path := tempLog(t)
	writeLog(t, path, 12, 5, 0)
	orig := readLines(t, path)
	// Lines: 1-5 records, 6 checkpoint, 7-11 records, 12 checkpoint,
	// 13-14 records, 15 final checkpoint.
	if len(orig) != 15 {
		t.Fatalf("%d lines", len(orig))
	}
	clone := func() [][]byte {
		out := make([][]byte, len(orig))
		for i, l := range orig {
			out[i] = bytes.Clone(l)
		}
		return out
	}
	cases := []struct {
		name   string
		mutate func([][]byte) [][]byte
		line   int
		reason string
	}{
		{"edit key", func(l [][]byte) [][]byte {
			l[2] = bytes.Replace(l[2], []byte(`"key":"k2"`), []byte(`"key":"k9"`), 1)
			return l
		}, 3, "hash mismatch"},
		{"edit whitespace", func(l [][]byte) [][]byte {
			l[8] = bytes.Replace(l[8], []byte(`"status":200`), []byte(`"status": 200`), 1)
			return l
		}, 9, "hash mismatch"},
		{"delete record", func(l [][]byte) [][]byte { return append(l[:3:3], l[4:]...) }, 4, "missing"},
		{"delete last record before checkpoint", func(l [][]byte) [][]byte { return append(l[:4:4], l[5:]...) }, 5, "does not match the chain"},
		{"reorder", func(l [][]byte) [][]byte { l[7], l[8] = l[8], l[7]; return l }, 8, "missing"},
		{"duplicate", func(l [][]byte) [][]byte { return append(l[:9:9], l[8:]...) }, 10, "out of order"},
		{"forged checkpoint", func(l [][]byte) [][]byte {
			l[5] = bytes.Replace(l[5], []byte(`"gatewayId":"gw1"`), []byte(`"gatewayId":"gw2"`), 1)
			return l
		}, 6, "bad signature"},
		{"truncate after last checkpoint", func(l [][]byte) [][]byte { return l[:14] }, 0, "unsigned tail"},
		{"cut mid-line", func(l [][]byte) [][]byte { l[13] = l[13][:40]; return l[:14] }, 0, ""},
		{"first record removed", func(l [][]byte) [][]byte { return l[1:] }, 1, "does not start at seq 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := c.mutate(clone())
			writeLines(t, path, lines)
			if c.name == "cut mid-line" {
				b, _ := os.ReadFile(path)
				os.WriteFile(path, b[:len(b)-1], 0o600) // no final newline
				wantBad(t, []string{path}, VerifyOptions{}, 14, "incomplete")
				return
			}
			wantBad(t, []string{path}, VerifyOptions{}, c.line, c.reason)
		})
	}
	// Restored, it verifies again; a tail is accepted only with AllowTail.
	writeLines(t, path, orig[:14])
	if _, err := Verify([]string{path}, VerifyOptions{AllowTail: true}); err != nil {
		t.Fatalf("AllowTail: %v", err)
	}
}

func TestPinnedKeyMismatch(t *testing.T) {
	path := tempLog(t)
	writeLog(t, path, 3, 10, 0)
	wantBad(t, []string{path}, VerifyOptions{PubFP: Fingerprint([]byte("another key"))}, 4, "not the pinned key")
}

func TestRotationContinuesTheChain(t *testing.T) {
	path := tempLog(t)
	writeLog(t, path, 40, 1000, 2000)
	files := logFiles(t, path)
	if len(files) < 4 {
		t.Fatalf("only %d files after rotation", len(files))
	}
	rep, err := Verify(files, VerifyOptions{})
	if err != nil || rep.Records != 40 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	// Every rotated file ends signed.
	for _, f := range files[:len(files)-1] {
		l := readLines(t, f)
		if !bytes.Contains(l[len(l)-1], []byte(`"type":"checkpoint"`)) {
			t.Fatalf("%s does not end with a checkpoint", f)
		}
	}
	// A restart continues the same chain in the same files.
	writeLog(t, path, 5, 1000, 2000)
	files = logFiles(t, path)
	if rep, err := Verify(files, VerifyOptions{}); err != nil || rep.Records != 45 {
		t.Fatalf("after restart Verify = %+v, %v", rep, err)
	}
	// Out of order, or missing the first file, fails; --partial accepts a
	// suffix of the files.
	wantBad(t, append([]string{files[1], files[0]}, files[2:]...), VerifyOptions{}, 1, "does not start")
	wantBad(t, append([]string{files[0], files[2]}, files[3:]...), VerifyOptions{}, 0, "")
	if _, err := Verify(files[1:], VerifyOptions{Partial: true}); err != nil {
		t.Fatalf("partial: %v", err)
	}
}

func TestOpenRepairsATornLastLine(t *testing.T) {
	path := tempLog(t)
	writeLog(t, path, 3, 10, 0)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"type":"request","seq":4,"ti`)
	f.Close()
	fs, err := OpenFile(FileOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if fs.Repaired == 0 || fs.Head().Seq != 3 {
		t.Fatalf("repaired %d head %+v", fs.Repaired, fs.Head())
	}
	fs.Close()
	writeLog(t, path, 2, 10, 0)
	if rep, err := Verify([]string{path}, VerifyOptions{}); err != nil || rep.Records != 5 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}
