package loadgen

import (
	"slices"
	"time"
)

// Percentiles are latency quantiles in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// percentiles sorts d in place and returns its quantiles (nearest rank).
func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		i := min(int(q*float64(len(d))), len(d)-1)
		return float64(d[i]) / float64(time.Millisecond)
	}
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(d[len(d)-1]) / float64(time.Millisecond)}
}

// Summary is the result of one case against one endpoint.
type Summary struct {
	Endpoint    string  `json:"endpoint"`
	Mode        string  `json:"mode"`
	Sizes       string  `json:"sizes"`
	Concurrency int     `json:"concurrency"`
	Checksum    string  `json:"checksum"`
	Payload     string  `json:"payload"`
	Seconds     float64 `json:"seconds"`
	// Ops counts successful operations (a multipart upload is one), Bytes
	// their object bytes moved, Errors the failed ones.
	Ops    int64 `json:"ops"`
	Bytes  int64 `json:"bytes"`
	Errors int64 `json:"errors"`
	// Listed is the number of keys list mode saw.
	Listed    int64       `json:"listed,omitempty"`
	MBps      float64     `json:"mb_per_s"`
	OpsPerSec float64     `json:"ops_per_s"`
	Latency   Percentiles `json:"latency"`
	TTFB      Percentiles `json:"ttfb"`
	// ServerCPUSeconds is the CPU time the server PID used during the
	// measured phase; ServerCPUPerGB divides it by the GB (1e9 bytes) moved.
	ServerCPUSeconds float64 `json:"server_cpu_s,omitempty"`
	ServerCPUPerGB   float64 `json:"server_cpu_s_per_gb,omitempty"`
	// ClientCPUPerGB is this process's CPU time per GB moved.
	ClientCPUPerGB float64 `json:"client_cpu_s_per_gb,omitempty"`
	// FirstErrors holds up to five error messages.
	FirstErrors []string `json:"first_errors,omitempty"`
}
