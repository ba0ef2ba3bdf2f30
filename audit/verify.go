package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// PubFP pins the signing key: every checkpoint's public key must have
	// this fingerprint (see Fingerprint). Empty trusts the key each
	// checkpoint carries, which proves the log consistent but not who
	// signed it.
	PubFP string
	// Partial accepts a chain that starts after seq 1 (older rotated files
	// deleted or not given); the first record's prev is then trusted.
	Partial bool
	// AllowTail accepts records after the last checkpoint (a live log);
	// otherwise an unsigned tail is an error, since truncation of it
	// could not be detected.
	AllowTail bool
}

// Report is what Verify found.
type Report struct {
	Records     uint64 // chained records read (requests and drop notes)
	Checkpoints int
	Dropped     uint64 // records the writer reported dropping
	First, Last uint64 // seq range
	// Tail counts records after the last checkpoint; Final is whether the
	// last checkpoint was written at a clean shutdown.
	Tail  uint64
	Final bool
	// Keys are the fingerprints of the keys that signed checkpoints.
	Keys []string
}

// VerifyError names the first bad line.
type VerifyError struct {
	File   string
	Line   int
	Seq    uint64 // of the bad record, when known
	Reason string
}

func (e *VerifyError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Verify checks files, in the order given, as one chain: every record
// links to the one before, every checkpoint signs the head at its place,
// and (unless AllowTail) the last record is covered by a checkpoint. The
// first problem is returned as a *VerifyError; I/O errors as others.
func Verify(files []string, o VerifyOptions) (Report, error) {
	v := &verifier{o: o, keys: map[string]*mldsa65.PublicKey{}}
	for _, name := range files {
		if err := v.file(name); err != nil {
			return v.rep, err
		}
	}
	v.rep.Last = v.head.Seq
	for fp := range v.keys {
		v.rep.Keys = append(v.rep.Keys, fp)
	}
	last := files[len(files)-1]
	switch {
	case !v.started:
		return v.rep, &VerifyError{File: last, Reason: "no audit records or checkpoints"}
	case v.rep.Tail > 0 && !o.AllowTail:
		return v.rep, &VerifyError{File: last, Seq: v.cpHead.Seq + 1, Reason: fmt.Sprintf(
			"unsigned tail: records %d..%d follow the last checkpoint (seq %d); they may have been truncated or altered undetectably (server still running or crashed? pass --allow-tail for a live log)",
			v.cpHead.Seq+1, v.head.Seq, v.cpHead.Seq)}
	}
	return v.rep, nil
}

type verifier struct {
	o       VerifyOptions
	rep     Report
	started bool
	head    Head // last record
	prev    [sha256.Size]byte
	cpHead  Head
	keys    map[string]*mldsa65.PublicKey
}

func (v *verifier) file(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("audit: verify %s: %w", name, err)
		}
		if err == io.EOF {
			return &VerifyError{File: name, Line: n, Seq: v.head.Seq + 1, Reason: "last line is incomplete (truncated mid-record)"}
		}
		if reason := v.line(line[:len(line)-1]); reason != "" {
			return &VerifyError{File: name, Line: n, Seq: v.head.Seq + 1, Reason: reason}
		}
	}
}

// line checks one line (without '\n') and returns what is wrong with it.
func (v *verifier) line(line []byte) string {
	var h struct {
		Type   string `json:"type"`
		Seq    uint64 `json:"seq"`
		Prev   string `json:"prev"`
		Head   string `json:"head"`
		Pub    string `json:"pub"`
		PubFP  string `json:"pubFp"`
		Final  bool   `json:"final"`
		Count  uint64 `json:"dropped"`
		Hashed string `json:"hash"`
		Sig    string `json:"sig"`
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return "not a JSON audit line: " + err.Error()
	}
	if h.Type == TypeCheckpoint {
		return v.checkpoint(line, h.Seq, h.Head, h.Pub, h.PubFP, h.Sig, h.Final)
	}
	if h.Type != TypeRequest && h.Type != TypeDropped {
		return fmt.Sprintf("unknown line type %q", h.Type)
	}
	body, ok := cutMember(line, "hash", 64)
	if !ok {
		return fmt.Sprintf("record seq %d: hash is not its last member", h.Seq)
	}
	prev, err := prevBytes(h.Prev)
	if err != nil {
		return fmt.Sprintf("record seq %d: bad prev: %v", h.Seq, err)
	}
	if !v.started {
		v.started = true
		v.rep.First = h.Seq
		if h.Seq != 1 || prev != genesis {
			if !v.o.Partial {
				return fmt.Sprintf("record seq %d: the chain does not start at seq 1 (give the earlier rotated files first, or --partial)", h.Seq)
			}
			v.head = Head{Seq: h.Seq - 1, Hash: h.Prev}
			v.prev = prev
		}
	}
	if h.Seq != v.head.Seq+1 {
		if h.Seq <= v.head.Seq {
			return fmt.Sprintf("record seq %d: out of order after seq %d (reordered or duplicated)", h.Seq, v.head.Seq)
		}
		return fmt.Sprintf("record seq %d: records %d..%d are missing (deleted)", h.Seq, v.head.Seq+1, h.Seq-1)
	}
	if prev != v.prev {
		return fmt.Sprintf("record seq %d: prev does not match the hash of record %d (reordered or replaced)", h.Seq, v.head.Seq)
	}
	if got := chainHash(prev, body); got != h.Hashed {
		return fmt.Sprintf("record seq %d: hash mismatch (record edited)", h.Seq)
	}
	hb, _ := prevBytes(h.Hashed)
	v.prev, v.head = hb, Head{Seq: h.Seq, Hash: h.Hashed}
	v.rep.Records++
	v.rep.Tail++
	if h.Type == TypeDropped {
		v.rep.Dropped += h.Count
	}
	return ""
}

// checkpoint verifies a checkpoint line against the chain so far.
func (v *verifier) checkpoint(line []byte, seq uint64, head, pub, fp, sig string, final bool) string {
	if !v.started {
		// A log may open with a checkpoint: of the empty chain, or (with
		// Partial) of where earlier files ended.
		v.started = true
		v.rep.First = seq + 1
		if seq != 0 || head != hex.EncodeToString(genesis[:]) {
			if !v.o.Partial {
				return fmt.Sprintf("checkpoint seq %d: the chain does not start at seq 1 (give the earlier rotated files first, or --partial)", seq)
			}
			b, err := prevBytes(head)
			if err != nil {
				return fmt.Sprintf("checkpoint seq %d: bad head: %v", seq, err)
			}
			v.head, v.prev = Head{Seq: seq, Hash: head}, b
		}
	}
	if seq != v.head.Seq || head != hex.EncodeToString(v.prev[:]) {
		return fmt.Sprintf("checkpoint seq %d: does not match the chain (last record seq %d): records before it were deleted, edited or reordered", seq, v.head.Seq)
	}
	body, ok := cutMember(line, "sig", -1)
	if !ok {
		return fmt.Sprintf("checkpoint seq %d: sig is not its last member", seq)
	}
	k, reason := v.key(pub, fp)
	if reason != "" {
		return fmt.Sprintf("checkpoint seq %d: %s", seq, reason)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || !mldsa65.Verify(k, body, []byte(SignatureContext), raw) {
		return fmt.Sprintf("checkpoint seq %d: bad signature (checkpoint edited or forged)", seq)
	}
	v.cpHead = v.head
	v.rep.Checkpoints++
	v.rep.Tail = 0
	v.rep.Final = final
	return ""
}

// key decodes and checks a checkpoint's public key (cached by fingerprint).
func (v *verifier) key(pub, fp string) (*mldsa65.PublicKey, string) {
	if v.o.PubFP != "" && fp != v.o.PubFP {
		return nil, fmt.Sprintf("signed by key %s, not the pinned key %s", fp, v.o.PubFP)
	}
	if k := v.keys[fp]; k != nil {
		return k, ""
	}
	raw, err := base64.StdEncoding.DecodeString(pub)
	if err != nil || Fingerprint(raw) != fp {
		return nil, "public key does not match its fingerprint"
	}
	k := new(mldsa65.PublicKey)
	if err := k.UnmarshalBinary(raw); err != nil {
		return nil, "bad public key: " + err.Error()
	}
	v.keys[fp] = k
	return k, ""
}

// cutMember returns line without its final `,"name":"value"` member, closed
// with '}' again (the signed or hashed body). valueLen < 0 accepts any
// length of value.
func cutMember(line []byte, name string, valueLen int) ([]byte, bool) {
	if !bytes.HasSuffix(line, []byte(`"}`)) {
		return nil, false
	}
	marker := []byte(`,"` + name + `":"`)
	i := bytes.LastIndex(line, marker)
	if i < 0 {
		return nil, false
	}
	value := line[i+len(marker) : len(line)-2]
	if bytes.IndexByte(value, '"') >= 0 || (valueLen >= 0 && len(value) != valueLen) {
		return nil, false
	}
	body := make([]byte, 0, i+1)
	body = append(body, line[:i]...)
	return append(body, '}'), true
}
