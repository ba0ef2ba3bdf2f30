package loadgen

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/server"
)

const (
	testAK = "loadgenaccesskey"
	testSK = "loadgen-secret-key-0123456789"
)

// startServer runs the real gateway in this process on a free port and
// returns a Target for it.
func startServer(t *testing.T, plaintext bool) Target {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Address = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Fsync = "never"
	cfg.InsecurePlaintext = plaintext
	cfg.AccessKey, cfg.SecretKey = testAK, testSK
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan server.Started, 1)
	done := make(chan error, 1)
	go func() { done <- server.RunWith(ctx, cfg, func(s server.Started) { started <- s }) }()
	var s server.Started
	select {
	case s = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return Target{Endpoint: s.Endpoint, AccessKey: testAK, SecretKey: testSK, CACert: s.CAFile}
}

func TestModes(t *testing.T) {
	tgt := startServer(t, true)
	ctx := context.Background()
	small, _ := ParseSizes("4K:1,100K:1")
	cases := []struct {
		o       Options
		ops     int64
		bytes   int64 // exact when > 0
		minByte int64
	}{
		{o: Options{Mode: "put", Sizes: Sizes{{Size: 64 << 10, Weight: 1}}, Concurrency: 2, Count: 6}, ops: 6, bytes: 6 * 64 << 10},
		{o: Options{Mode: "put", Sizes: small, Concurrency: 2, Count: 5, Checksum: "crc32c", Payload: "signed"}, ops: 5, minByte: 5 * 4 << 10},
		{o: Options{Mode: "get", Sizes: small, Concurrency: 2, Count: 8, Objects: 3}, ops: 8, minByte: 8 * 4 << 10},
		{o: Options{Mode: "range-get", Sizes: Sizes{{Size: 300 << 10, Weight: 1}}, RangeSize: 70 << 10, Concurrency: 3, Count: 9}, ops: 9, bytes: 9 * 70 << 10},
		{o: Options{Mode: "multipart-put", Sizes: Sizes{{Size: 11 << 20, Weight: 1}}, PartSize: 5 << 20, PartsInFlight: 2, Count: 1, Checksum: "crc32"}, ops: 1, bytes: 11 << 20},
		{o: Options{Mode: "mixed", Sizes: small, GetRatio: 1, PutRatio: 1, Concurrency: 2, Count: 10, Checksum: "sha256"}, ops: 10, minByte: 10 * 4 << 10},
		{o: Options{Mode: "list", Objects: 7, Count: 3}, ops: 3},
		{o: Options{Mode: "delete", Objects: 6, Concurrency: 2}, ops: 6},
	}
	for _, c := range cases {
		c.o.Bucket = "loadgen"
		c.o.Cleanup = true
		s, err := Run(ctx, tgt, c.o, nil)
		if err != nil {
			t.Fatalf("%s: %v", CaseName(c.o), err)
		}
		if s.Errors != 0 || s.Ops != c.ops {
			t.Fatalf("%s: %d ops, %d errors, want %d ops: %v", CaseName(c.o), s.Ops, s.Errors, c.ops, s.FirstErrors)
		}
		if (c.bytes > 0 && s.Bytes != c.bytes) || s.Bytes < c.minByte {
			t.Fatalf("%s: %d bytes, want %d (at least %d)", CaseName(c.o), s.Bytes, c.bytes, c.minByte)
		}
		if s.Latency.P50 <= 0 || s.Latency.P99 < s.Latency.P50 || s.TTFB.P50 <= 0 {
			t.Fatalf("%s: latency %+v ttfb %+v", CaseName(c.o), s.Latency, s.TTFB)
		}
		if c.o.Mode == "list" && s.Listed != 3*7 {
			t.Fatalf("list saw %d keys, want 21", s.Listed)
		}
	}
}

// TestVerifyCatchesWrongData makes sure the read check can fail: a GET of
// an object written under another key's content is reported as an error.
func TestVerifyCatchesWrongData(t *testing.T) {
	p := NewPattern()
	var want bytes.Buffer
	if _, err := p.Reader("a", 10, 1<<20+5000).WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	ok := &verifier{r: *p.Reader("a", 10, int64(want.Len()))}
	if _, err := ok.Write(want.Bytes()); err != nil {
		t.Fatalf("same content: %v", err)
	}
	bad := &verifier{r: *p.Reader("b", 10, int64(want.Len()))}
	if _, err := bad.Write(want.Bytes()); err == nil {
		t.Fatal("other key's content verified")
	}
	long := &verifier{r: *p.Reader("a", 10, 5)}
	if _, err := long.Write(want.Bytes()[:6]); err == nil {
		t.Fatal("overlong body verified")
	}
}

// TestTLSAndServerCPU runs over https with the server's CA and reads this
// process's CPU time as the "server" (it is in-process here).
func TestTLSAndServerCPU(t *testing.T) {
	tgt := startServer(t, false)
	tgt.ServerPID = os.Getpid()
	s, err := Run(context.Background(), tgt, Options{Mode: "put", Bucket: "tlstest", Sizes: Sizes{{Size: 256 << 10, Weight: 1}}, Count: 8, Concurrency: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Ops != 8 || s.Errors != 0 || s.ServerCPUSeconds <= 0 || s.ServerCPUPerGB <= 0 {
		t.Fatalf("%+v", s)
	}
	tgt.CACert = ""
	if s, err := Run(context.Background(), tgt, Options{Mode: "put", Bucket: "tlstest", Count: 1}, nil); err == nil {
		t.Fatalf("untrusted certificate accepted: %+v", s)
	}
	tgt.Insecure = true
	if _, err := Run(context.Background(), tgt, Options{Mode: "put", Bucket: "tlstest", Count: 1}, nil); err != nil {
		t.Fatalf("--insecure: %v", err)
	}
}

func TestAB(t *testing.T) {
	tgt := startServer(t, true)
	cases := []Options{
		{Mode: "put", Bucket: "abtest", Sizes: Sizes{{Size: 128 << 10, Weight: 1}}, Count: 4, Cleanup: true},
		{Mode: "list", Bucket: "abtest", Objects: 3, Count: 2, Cleanup: true},
	}
	var prog bytes.Buffer
	res, err := RunAB(context.Background(), tgt, tgt, cases, 3, &prog)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d cases", len(res))
	}
	for _, c := range res {
		if len(c.A) != 3 || len(c.B) != 3 || len(c.Ratios) != 3 || c.Median <= 0 {
			t.Fatalf("%s: %+v", c.Case, c)
		}
		for i := range c.A {
			if c.A[i].Ops != c.B[i].Ops || c.A[i].Errors+c.B[i].Errors != 0 {
				t.Fatalf("%s round %d: A %d ops, B %d ops", c.Case, i, c.A[i].Ops, c.B[i].Ops)
			}
		}
	}
	if res[1].Metric != "ops/s" || res[0].Metric != "MB/s" {
		t.Fatalf("metrics %s %s", res[0].Metric, res[1].Metric)
	}
	var out bytes.Buffer
	if err := WriteAB(&out, "a", "b", res); err != nil || !bytes.Contains(out.Bytes(), []byte("put 128K c1")) {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
}

func TestParse(t *testing.T) {
	s, err := ParseSizes("1M:50, 64M:50")
	if err != nil || len(s) != 2 || s[1].Size != 64<<20 || s[0].Weight != 50 || s.String() != "1M:50,64M:50" {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"", "x", "1M:-1", "1M:0", "1Q"} {
		if _, err := ParseSizes(bad); err == nil {
			t.Errorf("ParseSizes(%q) accepted", bad)
		}
	}
	if g, p, err := ParseRatio("70:30"); err != nil || g != 70 || p != 30 {
		t.Fatalf("ratio %d %d %v", g, p, err)
	}
	if _, _, err := ParseRatio("0:0"); err == nil {
		t.Fatal("0:0 accepted")
	}
	if _, err := (Options{Mode: "bogus", Bucket: "b"}).withDefaults(); err == nil {
		t.Fatal("bad mode accepted")
	}
	if _, err := (Options{Bucket: "b", PartSize: 1 << 20}).withDefaults(); err == nil {
		t.Fatal("1 MiB part accepted")
	}
}

// TestWriteABServerCPU checks the server CPU row: printed with per-round
// ratios when every round has a server CPU figure, left out otherwise.
func TestWriteABServerCPU(t *testing.T) {
	sum := func(mbps, cpu float64) *Summary {
		return &Summary{Mode: "put", MBps: mbps, ServerCPUSeconds: cpu, ServerCPUPerGB: cpu}
	}
	c := ABCase{Case: "put 64M c1", Metric: "MB/s", Ratios: []float64{2, 2}, Median: 2,
		A: []*Summary{sum(200, 2), sum(200, 3)}, B: []*Summary{sum(100, 4), sum(100, 4)}}
	var out bytes.Buffer
	if err := WriteAB(&out, "a", "b", []ABCase{c}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("srv CPU-s/GB")) || !bytes.Contains(out.Bytes(), []byte("0.50 0.75")) ||
		!bytes.Contains(out.Bytes(), []byte("0.62×")) {
		t.Fatalf("no server CPU row:\n%s", out.String())
	}
	c.B[1].ServerCPUSeconds = 0
	out.Reset()
	if err := WriteAB(&out, "a", "b", []ABCase{c}); err != nil || bytes.Contains(out.Bytes(), []byte("srv CPU-s/GB")) {
		t.Fatalf("row without B's CPU: %v\n%s", err, out.String())
	}
}
