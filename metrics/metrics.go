// Package metrics is the gateway's Prometheus instrumentation: a registry
// owned by one server (never the global default registry), the S3 request
// metrics s3api reports into, the data plane's pipeline counters, the key
// cache, per-OSD latency and errors through a storage wrapper, and hooks
// for packages that report later (heal and scrub progress, audit drops).
//
// Every method is safe on a nil *Metrics, so instrumented code needs no
// "metrics on?" branches.
package metrics

import (
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric name.
const namespace = "rustfs"

// latencyBuckets span 0.5 ms (a HEAD from cache) to 60 s (a 5 GiB part).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics is one server's instrumentation.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	bytesIn      *prometheus.CounterVec
	bytesOut     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	osdLatency   *prometheus.HistogramVec
	osdErrors    *prometheus.CounterVec
	auditDrops   prometheus.Counter
	connsRefused *prometheus.CounterVec
}

// New returns a Metrics with its own registry, holding the Go runtime and
// process collectors and the request, OSD and audit metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "s3", Name: "requests_total",
		Help: "S3 requests answered, by operation and HTTP status.",
	}, []string{"op", "status"})
	m.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "s3", Name: "received_bytes_total",
		Help: "Request body bytes received (declared Content-Length), by operation.",
	}, []string{"op"})
	m.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "s3", Name: "sent_bytes_total",
		Help: "Response body bytes sent, by operation.",
	}, []string{"op"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "s3", Name: "request_duration_seconds",
		Help: "Time from request headers to the end of the response, by operation.", Buckets: latencyBuckets,
	}, []string{"op"})
	m.osdLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "osd", Name: "op_duration_seconds",
		Help: "Shard operation latency per OSD: create, write (one frame), commit, open, read, remove.", Buckets: latencyBuckets,
	}, []string{"osd", "op"})
	m.osdErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "osd", Name: "errors_total",
		Help: "Failed shard operations per OSD (not-found excluded).",
	}, []string{"osd", "op"})
	m.auditDrops = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "audit", Name: "dropped_total",
		Help: "Audit records dropped because the audit sink could not keep up.",
	})
	m.connsRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "s3", Name: "connections_refused_total",
		Help: "Client connections closed at accept because a connection cap was reached, by cap (total, per_ip).",
	}, []string{"reason"})
	m.reg.MustRegister(
		// Besides the MemStats series: the live heap and the heap goal
		// (where the next collection is due; see internal/gcpace), GC
		// cycles, and the CPU the collector and the scavenger take.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{
			Matcher: regexp.MustCompile(`^/(gc/heap/(live|goal):bytes|gc/cycles/total:gc-cycles|cpu/classes/(gc|scavenge)/total:cpu-seconds)$`),
		})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.bytesIn, m.bytesOut, m.latency, m.osdLatency, m.osdErrors, m.auditDrops,
		m.connsRefused,
	)
	return m
}

// Registry is the server's registry, for packages that add collectors.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records one answered S3 request: op is the operation name
// (a small fixed set: PutObject, GetObject, Auth, …), in and out the body
// bytes received and sent.
func (m *Metrics) ObserveRequest(op string, status int, d time.Duration, in, out int64) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(op, strconv.Itoa(status)).Inc()
	if in > 0 {
		m.bytesIn.WithLabelValues(op).Add(float64(in))
	}
	if out > 0 {
		m.bytesOut.WithLabelValues(op).Add(float64(out))
	}
	m.latency.WithLabelValues(op).Observe(d.Seconds())
}

// ConnRefused counts one connection closed at accept because the cap
// named by reason was reached; s3api calls it.
func (m *Metrics) ConnRefused(reason string) {
	if m == nil {
		return
	}
	m.connsRefused.WithLabelValues(reason).Inc()
}

// AuditDropped counts n audit records lost; the audit logger calls it.
func (m *Metrics) AuditDropped(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.auditDrops.Add(float64(n))
}
