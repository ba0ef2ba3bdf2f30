package s3api

import (
	"net/http"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// MetricsPath is where the S3 port serves Options.Metrics to the root
// account. It sits under the admin prefix because "/metrics" is a valid
// path-style request for a bucket named "metrics".
const MetricsPath = "/rustfs/admin/v1/metrics"

// metricsAction is the permission asked of the authorizer for MetricsPath
// (the default authorizer grants it to root only: no bucket policy applies).
const metricsAction iam.Action = "rustfs:GetMetrics"

// RequestObserver receives one call per answered request (package metrics
// implements it): the operation name, status, time from the request
// headers to the end of the handler, and the body bytes received
// (declared) and sent.
type RequestObserver interface {
	ObserveRequest(op string, status int, d time.Duration, in, out int64)
}

// observe reports a finished request to Options.Observer.
func (s *Server) observe(r *request, op string, start time.Time) {
	if s.o.Observer == nil {
		return
	}
	var in int64
	if n, ok := r.contentLength(); ok && n > 0 {
		in = n
	}
	var out int64
	if r.method != http.MethodHead {
		out = max(int64(r.ctx.Response.Header.ContentLength()), 0)
	}
	s.o.Observer.ObserveRequest(op, r.ctx.Response.StatusCode(), time.Since(start), in, out)
}

// isMetrics reports whether an authenticated request asks for the metrics.
func (s *Server) isMetrics(r *request) bool {
	return s.o.Metrics != nil && r.method == http.MethodGet && r.rawPath == MetricsPath && s.hostBucket(r.host) == ""
}

// serveMetrics answers MetricsPath for a principal the authorizer allows.
func (s *Server) serveMetrics(r *request) string {
	if err := s.o.Authorizer.Authorize(s.base, iam.Request{Principal: r.principal, Action: metricsAction}); err != nil {
		r.writeError(s3err.Wrap(s3err.AccessDenied, err))
		return "Metrics"
	}
	fasthttpadaptor.NewFastHTTPHandler(s.o.Metrics)(r.ctx)
	r.setHeader("Cache-Control", "no-store")
	return "Metrics"
}
