package s3err

import "net/http"

// S3 error codes this server sends. The names are the wire codes, so a grep
// for a code a client reported lands here.
const (
	AccessDenied                       = "AccessDenied"
	AuthorizationHeaderMalformed       = "AuthorizationHeaderMalformed"
	AuthorizationQueryParametersError  = "AuthorizationQueryParametersError"
	BadDigest                          = "BadDigest"
	BucketAlreadyExists                = "BucketAlreadyExists"
	BucketAlreadyOwnedByYou            = "BucketAlreadyOwnedByYou"
	BucketNotEmpty                     = "BucketNotEmpty"
	EntityTooLarge                     = "EntityTooLarge"
	EntityTooSmall                     = "EntityTooSmall"
	ExpiredToken                       = "ExpiredToken"
	IllegalLocationConstraintException = "IllegalLocationConstraintException"
	IncompleteBody                     = "IncompleteBody"
	IntegrityCheckFailed               = "IntegrityCheckFailed"
	InternalError                      = "InternalError"
	InvalidAccessKeyID                 = "InvalidAccessKeyId"
	InvalidArgument                    = "InvalidArgument"
	InvalidBucketName                  = "InvalidBucketName"
	InvalidChunkSizeError              = "InvalidChunkSizeError"
	InvalidDigest                      = "InvalidDigest"
	InvalidLocationConstraint          = "InvalidLocationConstraint"
	InvalidPart                        = "InvalidPart"
	InvalidPartNumber                  = "InvalidPartNumber"
	InvalidPartOrder                   = "InvalidPartOrder"
	InvalidRange                       = "InvalidRange"
	InvalidRequest                     = "InvalidRequest"
	InvalidStorageClass                = "InvalidStorageClass"
	InvalidTag                         = "InvalidTag"
	InvalidToken                       = "InvalidToken"
	InvalidURI                         = "InvalidURI"
	KeyTooLongError                    = "KeyTooLongError"
	MalformedPolicy                    = "MalformedPolicy"
	MalformedXML                       = "MalformedXML"
	MalformedTrailerError              = "MalformedTrailerError"
	MaxMessageLengthExceeded           = "MaxMessageLengthExceeded"
	MetadataTooLarge                   = "MetadataTooLarge"
	MethodNotAllowed                   = "MethodNotAllowed"
	MissingContentLength               = "MissingContentLength"
	MissingRequestBodyError            = "MissingRequestBodyError"
	MissingSecurityHeader              = "MissingSecurityHeader"
	NoSuchBucket                       = "NoSuchBucket"
	NoSuchBucketPolicy                 = "NoSuchBucketPolicy"
	NoSuchKey                          = "NoSuchKey"
	NoSuchTagSet                       = "NoSuchTagSet"
	NoSuchUpload                       = "NoSuchUpload"
	NoSuchVersion                      = "NoSuchVersion"
	NotImplemented                     = "NotImplemented"
	NotModified                        = "NotModified"
	OperationAborted                   = "OperationAborted"
	PreconditionFailed                 = "PreconditionFailed"
	RequestHeaderSectionTooLarge       = "RequestHeaderSectionTooLarge"
	RequestTimeTooSkewed               = "RequestTimeTooSkewed"
	RequestTimeout                     = "RequestTimeout"
	ServiceUnavailable                 = "ServiceUnavailable"
	SignatureDoesNotMatch              = "SignatureDoesNotMatch"
	SlowDown                           = "SlowDown"
	XAmzContentSHA256Mismatch          = "XAmzContentSHA256Mismatch"
)

// entry is one row of the table: the HTTP status a code travels with and the
// message sent when the caller has nothing more specific to say.
type entry struct {
	status  int
	message string
}

// table is THE mapping from S3 error code to HTTP status and default
// message. It is never written after package initialisation.
var table = map[string]entry{
	AccessDenied:                       {http.StatusForbidden, "Access Denied"},
	AuthorizationHeaderMalformed:       {http.StatusBadRequest, "The authorization header is malformed."},
	AuthorizationQueryParametersError:  {http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter."},
	BadDigest:                          {http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what we received."},
	BucketAlreadyExists:                {http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."},
	BucketAlreadyOwnedByYou:            {http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."},
	BucketNotEmpty:                     {http.StatusConflict, "The bucket you tried to delete is not empty."},
	EntityTooLarge:                     {http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."},
	EntityTooSmall:                     {http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."},
	ExpiredToken:                       {http.StatusBadRequest, "The provided token has expired."},
	IllegalLocationConstraintException: {http.StatusBadRequest, "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."},
	IncompleteBody:                     {http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	IntegrityCheckFailed:               {http.StatusInternalServerError, "The stored object failed authentication: its manifest or data was modified or corrupted."},
	InternalError:                      {http.StatusInternalServerError, "We encountered an internal error. Please try again."},
	InvalidAccessKeyID:                 {http.StatusForbidden, "The AWS access key ID you provided does not exist in our records."},
	InvalidArgument:                    {http.StatusBadRequest, "Invalid Argument"},
	InvalidBucketName:                  {http.StatusBadRequest, "The specified bucket is not valid."},
	InvalidChunkSizeError:              {http.StatusBadRequest, "Only the last chunk is allowed to have a size less than 8192 bytes."},
	InvalidDigest:                      {http.StatusBadRequest, "The Content-MD5 you specified is not valid."},
	InvalidLocationConstraint:          {http.StatusBadRequest, "The specified location constraint is not valid."},
	InvalidPart:                        {http.StatusBadRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
	InvalidPartNumber:                  {http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable."},
	InvalidPartOrder:                   {http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number."},
	InvalidRange:                       {http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable."},
	InvalidRequest:                     {http.StatusBadRequest, "Invalid Request"},
	InvalidStorageClass:                {http.StatusBadRequest, "The storage class you specified is not valid."},
	InvalidTag:                         {http.StatusBadRequest, "The tag provided was not a valid tag."},
	InvalidToken:                       {http.StatusBadRequest, "The provided token is malformed or otherwise invalid."},
	InvalidURI:                         {http.StatusBadRequest, "Couldn't parse the specified URI."},
	KeyTooLongError:                    {http.StatusBadRequest, "Your key is too long."},
	MalformedPolicy:                    {http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'"},
	MalformedXML:                       {http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema."},
	MalformedTrailerError:              {http.StatusBadRequest, "The request contained trailing data that was not well-formed or did not conform to our published schema."},
	MaxMessageLengthExceeded:           {http.StatusBadRequest, "Your request was too big."},
	MetadataTooLarge:                   {http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."},
	MethodNotAllowed:                   {http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."},
	MissingContentLength:               {http.StatusLengthRequired, "You must provide the Content-Length HTTP header."},
	MissingRequestBodyError:            {http.StatusBadRequest, "Request Body is empty."},
	MissingSecurityHeader:              {http.StatusBadRequest, "Your request is missing a required header."},
	NoSuchBucket:                       {http.StatusNotFound, "The specified bucket does not exist."},
	NoSuchBucketPolicy:                 {http.StatusNotFound, "The bucket policy does not exist"},
	NoSuchKey:                          {http.StatusNotFound, "The specified key does not exist."},
	NoSuchTagSet:                       {http.StatusNotFound, "The TagSet does not exist"},
	NoSuchUpload:                       {http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."},
	NoSuchVersion:                      {http.StatusNotFound, "The specified version does not exist."},
	NotImplemented:                     {http.StatusNotImplemented, "A header or query you provided requested a function that is not implemented."},
	NotModified:                        {http.StatusNotModified, "Not Modified"},
	OperationAborted:                   {http.StatusConflict, "A conflicting conditional operation is currently in progress against this resource. Try again."},
	PreconditionFailed:                 {http.StatusPreconditionFailed, "At least one of the preconditions you specified did not hold."},
	RequestHeaderSectionTooLarge:       {http.StatusBadRequest, "Your request header section exceeds the maximum allowed size."},
	RequestTimeTooSkewed:               {http.StatusForbidden, "The difference between the request time and the server's time is too large."},
	RequestTimeout:                     {http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period."},
	ServiceUnavailable:                 {http.StatusServiceUnavailable, "The service is unavailable. Please retry."},
	SignatureDoesNotMatch:              {http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	SlowDown:                           {http.StatusServiceUnavailable, "Please reduce your request rate."},
	XAmzContentSHA256Mismatch:          {http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."},
}

// Known reports whether code is in the table.
func Known(code string) bool {
	_, ok := table[code]
	return ok
}

// Status returns the HTTP status S3 sends with code; codes outside the table
// are client errors (400), since every server-side failure has a row.
func Status(code string) int {
	if e, ok := table[code]; ok {
		return e.status
	}
	return http.StatusBadRequest
}

// Message returns the default message for code, or "" for unknown codes.
func Message(code string) string {
	return table[code].message
}
