package audit

import (
	"testing"
	"time"
)

// BenchmarkLogToFile measures the request-side cost of Log plus the writer
// keeping up (chaining, JSON, buffered file append); Close at the end
// waits for every record to be written.
func BenchmarkLogToFile(b *testing.B) {
	fs, err := OpenFile(FileOptions{Path: tempLog(b)})
	if err != nil {
		b.Fatal(err)
	}
	l, err := New(Options{Signer: testSigner(b), Sinks: []Sink{fs}, Logger: quiet, EnqueueWait: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	rec := Record{Time: time.Now(), RequestID: "18C2F1A0B3D4E5F6", SourceIP: "192.0.2.10",
		Principal: "arn:aws:iam::root:root", AccessKey: "AKIAEXAMPLE00000", Operation: "PutObject",
		Bucket: "photos", Key: "2026/12/cat.jpg", Status: 200, BytesIn: 1 << 20, DurationMS: 12.5,
		UserAgent: "aws-sdk-go-v2/1.48.0", TLSVersion: "TLS 1.3", TLSGroup: "X25519MLKEM768", Decision: "allow:root"}
	probe := rec
	line, _, _ := seal(&probe, Head{})
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l.Log(rec)
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	if l.Dropped() != 0 {
		b.Fatalf("%d dropped", l.Dropped())
	}
}
