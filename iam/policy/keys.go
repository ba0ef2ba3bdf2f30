package policy

// Condition keys the gateway supplies, spelled as AWS spells them (keys are
// case-insensitive). The S3 layer sets the request's values in a Context;
// the Principal and clock keys the evaluator derives itself unless the
// Context sets them. Policies may name other keys too: an absent key is
// simply absent, as in AWS.
const (
	// Request keys, set by the S3 layer on every request.
	KeySourceIP        = "aws:SourceIp"        // client address, IPv4 or IPv6, no port
	KeySecureTransport = "aws:SecureTransport" // "true" over TLS, else "false"
	KeyUserAgent       = "aws:UserAgent"       // User-Agent header, when sent
	KeyReferer         = "aws:Referer"         // Referer header, when sent

	// Derived from Request.Principal and Evaluator.Now.
	KeyCurrentTime      = "aws:CurrentTime"      // RFC 3339, UTC, whole seconds
	KeyEpochTime        = "aws:EpochTime"        // seconds since 1970
	KeyUsername         = "aws:username"         // last element of a user ARN
	KeyUserID           = "aws:userid"           // Principal.UserID
	KeyPrincipalArn     = "aws:PrincipalArn"     // Principal.ARN
	KeyPrincipalAccount = "aws:PrincipalAccount" // Principal's account
	KeyPrincipalType    = "aws:PrincipalType"    // "User", "Account" or "Anonymous"

	// S3 keys, set by the S3 layer where the operation has them.
	KeyPrefix               = "s3:prefix"               // ListObjects prefix (also when empty)
	KeyDelimiter            = "s3:delimiter"            // ListObjects delimiter
	KeyMaxKeys              = "s3:max-keys"             // ListObjects max-keys
	KeyContentSHA256        = "s3:x-amz-content-sha256" // payload hash header (UNSIGNED-PAYLOAD, STREAMING-…)
	KeySignatureVersion     = "s3:signatureversion"     // "AWS4-HMAC-SHA256"
	KeyAuthType             = "s3:authType"             // "REST-HEADER", "REST-QUERY-STRING" or "POST"
	KeySignatureAge         = "s3:signatureAge"         // milliseconds since the signature's date
	KeyACL                  = "s3:x-amz-acl"            // canned ACL header
	KeyServerSideEncryption = "s3:x-amz-server-side-encryption"
	KeyRequestObjectTagKeys = "s3:RequestObjectTagKeys" // multi-valued: tag keys of the request
)
