package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tasmaniancloud/rustfs/dataplane"
)

// RegisterPipeline exports st, the engine's per-stripe counters (pass the
// same *dataplane.Stats as dataplane.Options.Stats): busy seconds per PUT
// stage, stripes sealed, stripes in flight (queue depth) and write-quorum
// shortfalls. The values are read at scrape time, nothing is copied.
func (m *Metrics) RegisterPipeline(st *dataplane.Stats) error {
	if m == nil || st == nil {
		return nil
	}
	cs := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "pipeline", Name: "stripes_total",
			Help: "Stripes (one chunk sealed and erasure-coded) written by the PUT pipeline.",
		}, func() float64 { return float64(st.Stripes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "pipeline", Name: "stripes_in_flight",
			Help: "PUT stripes between the body reader and the shard writers now (queue depth).",
		}, func() float64 { return float64(st.InFlight()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "pipeline", Name: "write_quorum_shortfalls_total",
			Help: "PUTs (and parts) that failed because fewer shards than the write quorum were written.",
		}, func() float64 { return float64(st.QuorumShortfalls()) }),
	}
	for s := dataplane.Stage(0); s < dataplane.NumStages; s++ {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "pipeline", Name: "busy_seconds_total",
			Help:        "Time spent in each PUT pipeline stage, summed over its goroutines (read includes socket reads).",
			ConstLabels: prometheus.Labels{"stage": s.String()},
		}, func() float64 { return st.Busy(s).Seconds() }))
	}
	return m.register(cs...)
}

// RegisterKeyCache exports the key cache's lookups; stats is typically
// (*kdf.Service).CacheStats. Hit ratio = hits / (hits + misses).
func (m *Metrics) RegisterKeyCache(stats func() (hits, misses uint64)) error {
	if m == nil || stats == nil {
		return nil
	}
	lookups := func(hit bool) func() float64 {
		return func() float64 {
			h, mi := stats()
			if hit {
				return float64(h)
			}
			return float64(mi)
		}
	}
	return m.register(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "keycache", Name: "lookups_total",
			Help: "Key-cache lookups by result.", ConstLabels: prometheus.Labels{"result": "hit"},
		}, lookups(true)),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "keycache", Name: "lookups_total",
			Help: "Key-cache lookups by result.", ConstLabels: prometheus.Labels{"result": "miss"},
		}, lookups(false)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "keycache", Name: "hit_ratio",
			Help: "Key-cache hits over all lookups since start (0 before the first lookup).",
		}, func() float64 {
			h, mi := stats()
			if h+mi == 0 {
				return 0
			}
			return float64(h) / float64(h+mi)
		}),
	)
}

// register adds cs to the registry, failing on the first conflict.
func (m *Metrics) register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return fmt.Errorf("metrics: register: %w", err)
		}
	}
	return nil
}
