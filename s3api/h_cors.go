package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// The CORS permissions (AWS names; DeleteBucketCors needs s3:PutBucketCORS).
const (
	actionGetBucketCORS iam.Action = "s3:GetBucketCORS"
	actionPutBucketCORS iam.Action = "s3:PutBucketCORS"
)

var (
	opGetBucketCors    = &operation{"GetBucketCors", actionGetBucketCORS, (*request).getBucketCors}
	opPutBucketCors    = &operation{"PutBucketCors", actionPutBucketCORS, (*request).putBucketCors}
	opDeleteBucketCors = &operation{"DeleteBucketCors", actionPutBucketCORS, (*request).deleteBucketCors}
)

// corsStore is the optional Layer part that keeps CORS documents
// (object.Store has it).
type corsStore interface {
	PutBucketCors(ctx context.Context, bucket string, doc []byte) error
	GetBucketCors(ctx context.Context, bucket string) ([]byte, error)
	DeleteBucketCors(ctx context.Context, bucket string) error
}

// routeCors returns the CORS operation of a ?cors bucket request.
func routeCors(method string) (*operation, error) {
	switch method {
	case http.MethodGet:
		return opGetBucketCors, nil
	case http.MethodPut:
		return opPutBucketCors, nil
	case http.MethodDelete:
		return opDeleteBucketCors, nil
	}
	return nil, s3err.New(s3err.MethodNotAllowed)
}

func (r *request) corsLayer() (corsStore, error) {
	cs, ok := r.s.o.Layer.(corsStore)
	if !ok {
		return nil, s3err.Newf(s3err.NotImplemented, "This server's object layer does not keep CORS configurations.")
	}
	return cs, nil
}

// getBucketCors serves GET /bucket?cors: the document as stored.
func (r *request) getBucketCors() error {
	cs, err := r.corsLayer()
	if err != nil {
		return err
	}
	doc, err := cs.GetBucketCors(r.cx, r.bucket)
	if err != nil {
		return err
	}
	r.ctx.SetStatusCode(http.StatusOK)
	r.ctx.SetContentType("application/xml")
	r.ctx.SetBody(doc)
	return nil
}

// putBucketCors serves PUT /bucket?cors. The document is validated, then
// stored re-encoded (canonical, with the S3 namespace).
func (r *request) putBucketCors() error {
	cs, err := r.corsLayer()
	if err != nil {
		return err
	}
	body, err := r.readSmallBody(maxCORSBody)
	if err != nil {
		return err
	}
	cfg, err := parseCORSConfig(body)
	if err != nil {
		return err
	}
	cfg.Xmlns = s3NS
	doc, err := xmlDoc(cfg)
	if err != nil {
		return err
	}
	r.s.cors.drop(r.bucket)
	if err := cs.PutBucketCors(r.cx, r.bucket, doc); err != nil {
		return err
	}
	r.s.cors.drop(r.bucket)
	r.writeEmpty(http.StatusOK)
	return nil
}

// deleteBucketCors serves DELETE /bucket?cors.
func (r *request) deleteBucketCors() error {
	cs, err := r.corsLayer()
	if err != nil {
		return err
	}
	r.s.cors.drop(r.bucket)
	if err := cs.DeleteBucketCors(r.cx, r.bucket); err != nil {
		return err
	}
	r.s.cors.drop(r.bucket)
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// bucketCORS returns the bucket's parsed CORS configuration (cached, see
// corscache.go); nil, nil when it has none, the bucket does not exist, or
// the layer keeps none.
func (r *request) bucketCORS() (*corsConfiguration, error) {
	cs, ok := r.s.o.Layer.(corsStore)
	if !ok {
		return nil, nil
	}
	now := time.Now()
	if cfg, ok := r.s.cors.get(r.bucket, now); ok {
		return cfg, nil
	}
	doc, err := cs.GetBucketCors(r.cx, r.bucket)
	if errors.Is(err, object.ErrNoSuchCORSConfiguration) || errors.Is(err, object.ErrNoSuchBucket) {
		r.s.cors.put(r.bucket, nil, now)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cfg, err := parseCORSConfig(doc)
	if err != nil {
		return nil, err
	}
	r.s.cors.put(r.bucket, cfg, now)
	return cfg, nil
}

// servePreflight answers OPTIONS on a bucket or object: unauthenticated,
// as browsers send it without credentials, and decided by the bucket's
// CORS rules alone.
func (s *Server) servePreflight(r *request) string {
	if err := r.preflight(); err != nil {
		r.writeError(err)
	}
	return "Preflight"
}

func (r *request) preflight() error {
	origin, ok := r.hdr.get("origin")
	if !ok || origin == "" {
		return s3err.Newf(s3err.InvalidRequest, "Insufficient information. Origin request header needed.")
	}
	method := r.hdr.value("access-control-request-method")
	if !corsMethods[method] {
		return s3err.Newf(s3err.InvalidRequest, "Invalid Access-Control-Request-Method: %q", method)
	}
	// A missing bucket answers exactly as one without CORS: unauthenticated
	// callers learn nothing about which buckets exist (docs/SECURITY.md).
	notEnabled := s3err.Newf(s3err.AccessForbidden, "CORSResponse: CORS is not enabled for this bucket.")
	if !object.ValidBucketName(r.bucket) {
		return notEnabled
	}
	cfg, err := r.bucketCORS()
	if err != nil {
		return err
	}
	if cfg == nil {
		return notEnabled
	}
	headers := splitHeaderList(r.hdr.value("access-control-request-headers"))
	m, ok := cfg.match(origin, method, headers)
	r.setHeader("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	if !ok {
		return s3err.New(s3err.AccessForbidden)
	}
	r.setCORSAllow(m, origin)
	if len(headers) > 0 {
		r.setHeader("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	if v := m.rule.maxAge(); v != "" {
		r.setHeader("Access-Control-Max-Age", v)
	}
	r.writeEmpty(http.StatusOK)
	return nil
}

// setCORSAllow writes the allow headers every matched CORS answer carries.
func (r *request) setCORSAllow(m corsMatch, origin string) {
	if m.anyOrigin {
		r.setHeader("Access-Control-Allow-Origin", "*")
	} else {
		r.setHeader("Access-Control-Allow-Origin", origin)
		r.setHeader("Access-Control-Allow-Credentials", "true")
	}
	r.setHeader("Access-Control-Allow-Methods", strings.Join(m.rule.AllowedMethods, ", "))
	if len(m.rule.ExposeHeaders) > 0 {
		r.setHeader("Access-Control-Expose-Headers", strings.Join(m.rule.ExposeHeaders, ", "))
	}
}

// applyCORS adds CORS headers to the answer of an actual (non-preflight)
// request that carries Origin, when a rule of its bucket allows the origin
// and method. Nothing is added otherwise: the browser then withholds the
// answer from the page, which is the point.
func (r *request) applyCORS() {
	origin, ok := r.hdr.get("origin")
	if !ok || origin == "" || r.bucket == "" || !object.ValidBucketName(r.bucket) {
		return
	}
	cfg, err := r.bucketCORS()
	if err != nil || cfg == nil {
		return
	}
	r.setHeader("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	if m, ok := cfg.match(origin, r.method, nil); ok {
		r.setCORSAllow(m, origin)
	}
}

// xmlDoc marshals v with the XML declaration, as stored documents are.
func xmlDoc(v any) ([]byte, error) {
	out, err := xml.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte(xmlHeader), out...), nil
}
