package loadgen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Modes are the workloads Run knows.
var Modes = []string{"put", "get", "range-get", "multipart-put", "mixed", "list", "delete"}

// Target is one S3 endpoint and the credentials to sign for it.
type Target struct {
	// Endpoint is the base URL, http:// or https://.
	Endpoint string
	// AccessKey and SecretKey sign requests; Region is the SigV4 region
	// (default us-east-1).
	AccessKey, SecretKey, Region string
	// CACert is a PEM file of certificates to trust for https ("" = system
	// roots); Insecure skips certificate verification.
	CACert   string
	Insecure bool
	// ServerPID, when > 0, is the server process whose CPU time is read
	// from /proc/PID/stat to report CPU-seconds per GB.
	ServerPID int
}

// Options describe one case: a workload against one bucket.
type Options struct {
	// Mode is one of Modes.
	Mode string
	// Bucket is created when missing; Prefix starts every key (default
	// "rustfs-bench/").
	Bucket, Prefix string
	// Sizes picks each object's size (default 1 MiB).
	Sizes Sizes
	// Concurrency is the number of workers (default 1).
	Concurrency int
	// Duration bounds the measured phase (default 10s unless Count is set);
	// Count, when > 0, stops after that many operations.
	Duration time.Duration
	Count    int
	// PartSize and PartsInFlight shape multipart-put (default 16 MiB, 4).
	PartSize      int64
	PartsInFlight int
	// RangeSize is the length of each range-get (default 1 MiB).
	RangeSize int64
	// Objects is the working set prepared for get, range-get, mixed and
	// list (default 2 × Concurrency for get-like modes, at least 1; 100 for
	// list), and for delete when Count is 0.
	Objects int
	// GetRatio and PutRatio weigh mixed mode (default 1:1).
	GetRatio, PutRatio int
	// Checksum is none (default), crc32, crc32c or sha256: an x-amz-checksum-*
	// header computed before each upload.
	Checksum string
	// Payload is "unsigned" (UNSIGNED-PAYLOAD, default) or "signed" (the
	// body's SHA-256 is computed and signed).
	Payload string
	// NoVerify skips comparing every byte read with what was written
	// (the comparison is on by default and costs about one memcmp).
	NoVerify bool
	// Cleanup deletes the objects the case wrote when it ends.
	Cleanup bool
}

// withDefaults fills the zero fields and validates o.
func (o Options) withDefaults() (Options, error) {
	if o.Mode == "" {
		o.Mode = "put"
	}
	if !slices.Contains(Modes, o.Mode) {
		return o, fmt.Errorf("loadgen: mode %q: want one of %s", o.Mode, strings.Join(Modes, ", "))
	}
	if o.Bucket == "" {
		return o, errors.New("loadgen: a bucket is required")
	}
	if o.Prefix == "" {
		o.Prefix = "rustfs-bench/"
	}
	if len(o.Sizes) == 0 {
		o.Sizes = Sizes{{Size: 1 << 20, Weight: 1}}
	}
	o.Concurrency = max(o.Concurrency, 1)
	if o.Duration <= 0 && o.Count <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.PartSize <= 0 {
		o.PartSize = 16 << 20
	}
	if o.PartSize < 5<<20 {
		return o, fmt.Errorf("loadgen: part size %d: S3 wants at least 5 MiB", o.PartSize)
	}
	if o.PartsInFlight <= 0 {
		o.PartsInFlight = 4
	}
	if o.RangeSize <= 0 {
		o.RangeSize = 1 << 20
	}
	if o.Objects <= 0 {
		switch o.Mode {
		case "list":
			o.Objects = 100
		case "delete":
			o.Objects = max(o.Count, 100)
		default:
			o.Objects = max(2*o.Concurrency, 1)
		}
	}
	if o.GetRatio < 0 || o.PutRatio < 0 || (o.Mode == "mixed" && o.GetRatio+o.PutRatio == 0) {
		return o, errors.New("loadgen: mixed ratio must be get:put with a positive sum")
	}
	if o.GetRatio+o.PutRatio == 0 {
		o.GetRatio, o.PutRatio = 1, 1
	}
	o.Checksum = strings.ToLower(o.Checksum)
	if o.Checksum == "" {
		o.Checksum = "none"
	}
	if !slices.Contains([]string{"none", "crc32", "crc32c", "sha256"}, o.Checksum) {
		return o, fmt.Errorf("loadgen: checksum %q: want none, crc32, crc32c or sha256", o.Checksum)
	}
	if o.Payload == "" {
		o.Payload = "unsigned"
	}
	if o.Payload != "unsigned" && o.Payload != "signed" {
		return o, fmt.Errorf("loadgen: payload %q: want signed or unsigned", o.Payload)
	}
	return o, nil
}

// SizeWeight is one entry of a size distribution.
type SizeWeight struct {
	Size   int64
	Weight int
}

// Sizes is a distribution of object sizes: each object picks an entry with
// probability proportional to its weight.
type Sizes []SizeWeight

// ParseSizes parses "64M" (one size) or "1M:50,64M:50" (size:weight
// pairs). Sizes take K/M/G suffixes (powers of 1024).
func ParseSizes(s string) (Sizes, error) {
	var out Sizes
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		sz, w, hasW := strings.Cut(item, ":")
		n, err := ParseBytes(sz)
		if err != nil {
			return nil, err
		}
		weight := 1
		if hasW {
			if weight, err = strconv.Atoi(strings.TrimSpace(w)); err != nil || weight < 0 {
				return nil, fmt.Errorf("loadgen: size weight %q: want a whole number", w)
			}
		}
		out = append(out, SizeWeight{Size: n, Weight: weight})
	}
	total := 0
	for _, e := range out {
		total += e.Weight
	}
	if total == 0 {
		return nil, fmt.Errorf("loadgen: size distribution %q: no size with a positive weight", s)
	}
	return out, nil
}

// ParseBytes parses a byte count with an optional K/M/G suffix (powers of
// 1024, "iB" or "B" allowed after it).
func ParseBytes(v string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(v))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("loadgen: size %q: use bytes or a K/M/G suffix", v)
	}
	return n * mult, nil
}

// String formats the distribution the way ParseSizes reads it.
func (s Sizes) String() string {
	parts := make([]string, len(s))
	for i, e := range s {
		parts[i] = FormatBytes(e.Size)
		if len(s) > 1 {
			parts[i] += ":" + strconv.Itoa(e.Weight)
		}
	}
	return strings.Join(parts, ",")
}

// pick draws a size.
func (s Sizes) pick(r *rand.Rand) int64 {
	total := 0
	for _, e := range s {
		total += e.Weight
	}
	n := r.IntN(total)
	for _, e := range s {
		if n < e.Weight {
			return e.Size
		}
		n -= e.Weight
	}
	return s[len(s)-1].Size
}

// FormatBytes writes n with the largest exact binary suffix: 64M, 1536K, 7.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		s string
		v int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n >= u.v && n%u.v == 0 {
			return strconv.FormatInt(n/u.v, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}

// ParseRatio parses mixed mode's "get:put", such as "70:30".
func ParseRatio(s string) (get, put int, err error) {
	a, b, ok := strings.Cut(s, ":")
	if ok {
		get, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			put, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || get < 0 || put < 0 || get+put == 0 {
		return 0, 0, fmt.Errorf("loadgen: ratio %q: want get:put such as 70:30", s)
	}
	return get, put, nil
}
