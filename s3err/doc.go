// Package s3err is the one place that decides how a failure looks on the
// wire: which S3 error code, which HTTP status, which message. Every other
// package returns ordinary Go errors (object.Err*, *sigv4.Error, storage
// errors, context errors); the HTTP layer calls From once, at the edge, and
// writes the result with AppendXML. Keeping the table in one package means a
// sentinel can never map to two different codes in two handlers.
package s3err
