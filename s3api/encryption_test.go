package s3api

import "testing"

func TestParseEncryptionConfig(t *testing.T) {
	const ns = `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`
	for _, c := range []struct {
		in, code string
	}{
		{`<ServerSideEncryptionConfiguration ` + ns + `><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, ""},
		{`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`, ""},
		{`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, "NotImplemented"},
		{`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms:dsse</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, "NotImplemented"},
		{`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>ROT13</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, "MalformedXML"},
		{`<ServerSideEncryptionConfiguration></ServerSideEncryptionConfiguration>`, "MalformedXML"},
		{`<ServerSideEncryptionConfiguration><Rule/><Rule/></ServerSideEncryptionConfiguration>`, "MalformedXML"},
		{`<Other/>`, "MalformedXML"},
		{``, "MalformedXML"},
		{`<ServerSideEncryptionConfiguration><Rule>`, "MalformedXML"},
	} {
		err := parseEncryptionConfig([]byte(c.in))
		if got := codeOf(err); got != c.code {
			t.Errorf("%q: %v, want code %q", c.in, err, c.code)
		}
	}
}

func FuzzParseEncryptionConfig(f *testing.F) {
	f.Add([]byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`))
	f.Add([]byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`))
	f.Add([]byte(`<x/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := parseEncryptionConfig(data); err != nil && codeOf(err) == "" {
			t.Fatalf("error without an S3 code: %v", err)
		}
	})
}
