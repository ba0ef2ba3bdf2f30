package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Record types.
const (
	TypeRequest    = "request"
	TypeDropped    = "dropped"
	TypeCheckpoint = "checkpoint"
)

// Record is one audited API call. The logger fills Type (when empty),
// Seq, Prev and Hash; callers fill the rest.
type Record struct {
	Type      string    `json:"type"`
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"` // written as RFC 3339 (nanoseconds) UTC
	RequestID string    `json:"requestId,omitempty"`
	GatewayID string    `json:"gatewayId,omitempty"`
	SourceIP  string    `json:"sourceIp,omitempty"`
	Principal string    `json:"principal,omitempty"` // ARN
	AccessKey string    `json:"accessKey,omitempty"`
	Operation string    `json:"operation,omitempty"`
	Bucket    string    `json:"bucket,omitempty"`
	Key       string    `json:"key,omitempty"`
	Status    int       `json:"status,omitempty"`
	ErrorCode string    `json:"errorCode,omitempty"`
	BytesIn   int64     `json:"bytesIn"`
	BytesOut  int64     `json:"bytesOut"`
	// DurationMS is the time from the request headers to the answer.
	DurationMS float64 `json:"durationMs"`
	UserAgent  string  `json:"userAgent,omitempty"`
	TLSVersion string  `json:"tlsVersion,omitempty"`
	TLSGroup   string  `json:"tlsGroup,omitempty"` // key exchange group (curve) name
	// Decision is the authorisation outcome, "allow:root", "deny:auth",
	// "deny:policy" …
	Decision string `json:"decision,omitempty"`
	// Dropped counts records lost before this one (type "dropped").
	Dropped uint64 `json:"dropped,omitempty"`
	Prev    string `json:"prev"`
	Hash    string `json:"hash,omitempty"`
}

// Head is a position in the chain: the last record's seq and hash (hex).
// The zero Head (seq 0, hash "") is the start of a new chain.
type Head struct {
	Seq  uint64
	Hash string
}

// genesis is the prev of seq 1.
var genesis [sha256.Size]byte

// prevBytes decodes a head hash ("" is the genesis).
func prevBytes(h string) ([sha256.Size]byte, error) {
	var b [sha256.Size]byte
	if h == "" {
		return b, nil
	}
	if len(h) != 2*sha256.Size {
		return b, fmt.Errorf("audit: hash %q is not 64 hex digits", h)
	}
	if _, err := hex.Decode(b[:], []byte(h)); err != nil {
		return b, fmt.Errorf("audit: hash %q: %w", h, err)
	}
	return b, nil
}

// chainHash is SHA-256(prev ‖ body).
func chainHash(prev [sha256.Size]byte, body []byte) string {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// appendMember closes a JSON object body with one more string member:
// `{…}` becomes `{…,"name":"value"}` followed by '\n'.
func appendMember(body []byte, name, value string) []byte {
	line := make([]byte, 0, len(body)+len(name)+len(value)+8)
	line = append(line, body[:len(body)-1]...)
	line = append(line, `,"`...)
	line = append(line, name...)
	line = append(line, `":"`...)
	line = append(line, value...)
	line = append(line, "\"}\n"...)
	return line
}

// seal links r after head and returns its line; r gets Seq, Prev, Hash.
func seal(r *Record, head Head) ([]byte, Head, error) {
	prev, err := prevBytes(head.Hash)
	if err != nil {
		return nil, head, err
	}
	if r.Type == "" {
		r.Type = TypeRequest
	}
	r.Seq = head.Seq + 1
	r.Time = r.Time.UTC()
	r.Prev = hex.EncodeToString(prev[:])
	r.Hash = ""
	body, err := json.Marshal(r)
	if err != nil {
		return nil, head, fmt.Errorf("audit: encode record %d: %w", r.Seq, err)
	}
	r.Hash = chainHash(prev, body)
	return appendMember(body, "hash", r.Hash), Head{Seq: r.Seq, Hash: r.Hash}, nil
}
