package policy_test

import (
	"fmt"

	"github.com/tasmaniancloud/rustfs/iam/policy"
)

func ExampleEvaluator() {
	bucket, err := policy.ParseBucket("my-bucket", []byte(`{
		"Version": "2012-10-17",
		"Statement": [{
			"Sid": "VPNUploads",
			"Effect": "Allow",
			"Principal": {"AWS": "arn:aws:iam::123456789012:user/developer"},
			"Action": ["s3:GetObject", "s3:PutObject"],
			"Resource": "arn:aws:s3:::my-bucket/uploads/*",
			"Condition": {"IpAddress": {"aws:SourceIp": "10.0.40.0/22"}}
		}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var ev policy.Evaluator
	for _, ip := range []string{"10.0.40.7", "192.0.2.1"} {
		req := &policy.Request{
			Principal: policy.Principal{ARN: policy.UserARN("123456789012", "developer")},
			Action:    "s3:PutObject",
			Resource:  policy.ResourceARN("my-bucket", "uploads/report.pdf"),
			Context:   policy.Context{},
		}
		req.Context.Set("aws:SourceIp", ip)
		d := ev.Evaluate(req, nil, bucket)
		fmt.Println(ip, d.Effect, d.Statements)
	}
	// Output:
	// 10.0.40.7 Allow [Allow bucket/my-bucket[0] "VPNUploads"]
	// 192.0.2.1 ImplicitDeny []
}
