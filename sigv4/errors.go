package sigv4

// S3 error codes this package returns in Error.Code. They are the wire codes
// (s3err maps them to HTTP statuses), so a grep for a code a client reported
// lands here.
const (
	CodeAccessDenied                      = "AccessDenied"
	CodeAuthorizationHeaderMalformed      = "AuthorizationHeaderMalformed"
	CodeAuthorizationQueryParametersError = "AuthorizationQueryParametersError"
	CodeIncompleteBody                    = "IncompleteBody"
	CodeInvalidAccessKeyID                = "InvalidAccessKeyId"
	CodeInvalidArgument                   = "InvalidArgument"
	CodeInvalidRequest                    = "InvalidRequest"
	CodeInvalidToken                      = "InvalidToken"
	CodeMalformedTrailerError             = "MalformedTrailerError"
	CodeMissingContentLength              = "MissingContentLength"
	CodeNotImplemented                    = "NotImplemented"
	CodeRequestTimeTooSkewed              = "RequestTimeTooSkewed"
	CodeSignatureDoesNotMatch             = "SignatureDoesNotMatch"
	CodeXAmzContentSHA256Mismatch         = "XAmzContentSHA256Mismatch"
)

// Error is an authentication or payload-verification failure. Code is the S3
// error code the client must receive; Msg is the S3-style message. Errors are
// returned as *Error so callers can use errors.As.
type Error struct {
	Code string
	Msg  string
}

// Error renders the code and message for logs.
func (e *Error) Error() string { return "sigv4: " + e.Code + ": " + e.Msg }

// newErr builds an *Error; a helper keeps the call sites one line each.
func newErr(code, msg string) *Error { return &Error{Code: code, Msg: msg} }

// Messages shared by several call sites. They follow the wording S3 uses so
// clients and people comparing with AWS see familiar text.
const (
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgSigV2             = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
	msgUnsignedHeaders   = "There were headers present in the request which were not signed: "
	msgSkewed            = "The difference between the request time and the current time is too large."
	msgBadDate           = "AWS authentication requires a valid Date or x-amz-date header"
	msgIncomplete        = "The request body terminated unexpectedly"
	msgHeaderMalformed   = "The authorization header is malformed; "
	msgQueryMalformed    = "Error parsing the X-Amz-Credential parameter; "
	msgBadCredential     = "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	msgQueryRequired     = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgOneAuth           = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	msgContentSHA256     = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
)
