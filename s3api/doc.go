// Package s3api is the HTTP face of the gateway: a fasthttp server that
// streams request bodies, authenticates every request through one SigV4 gate,
// routes path-style and virtual-hosted-style requests to S3 operations, and
// answers with S3's exact XML shapes, headers and status codes.
//
// The request path is
//
//	fasthttp → handle: request id, health probes
//	         → failed-authentication limit (503 SlowDown, no signature work)
//	         → authenticate (sigv4.Verify, or anonymous)
//	         → route (bucket, key, sub-resource → operation)
//	         → authorize (iam.Authorizer; by default the bucket policies,
//	           with the request's condition keys: authz.go)
//	         → operation handler → object.Layer
//
// and every failure on it becomes one S3 error document through package
// s3err. Bodies are never buffered whole: an upload is read through a length
// limiter and the SigV4 payload verifier straight into the object layer, and
// a download is written from the object layer straight into the connection.
//
// Failed authentications (bad signatures, unknown keys, anonymous probes)
// are limited per client address with a token bucket (Options.AuthFail*),
// and unauthenticated or unauthorised callers get the same AccessDenied for
// existing and missing buckets, so bucket names cannot be enumerated: an
// anonymous request runs only where a bucket policy grants it, and every
// other anonymous request (whatever the reason) is one bare AccessDenied
// that counts as a failed authentication.
//
// Early answers (authentication failures, 4xx before the body was read)
// drain a bounded amount of the unread body and otherwise close the
// connection, so leftover bytes are never parsed as the next request.
package s3api
