// Package test holds the end-to-end integration tests: a full RustFS
// gateway (TLS on, fixed root credentials, a temporary data directory) is
// started in-process or as the real rustfs binary, and real S3 clients talk
// to it: aws-sdk-go-v2 (including the transfer manager), the aws CLI,
// boto3, rclone and s3cmd.
//
// The storage backend is the embedded local one by default. With
// RUSTFS_TEST_BACKEND=rados and `go test -tags ceph ./test/...` the same
// tests run against the Ceph cluster named by RUSTFS_CEPH_CONF and
// RUSTFS_CEPH_KEYRING.
//
// A test that needs an external client tool skips when the tool is missing,
// unless RUSTFS_TEST_CLIENTS is set: then a missing tool is a failure, so a
// CI box that is meant to have every client cannot pass by accident.
package test
