package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/maint"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// BenchmarkScrubImpact measures foreground PUT+GET throughput of 4 MiB
// objects with no scrub, then with full deep passes running back to back
// at the default rate limit (started through the admin API), and reports
// both and their ratio. It skips while the object layer cannot heal yet.
func BenchmarkScrubImpact(b *testing.B) {
	g := startInProcess(b, options(true))
	c := clientFor(b, g, 4)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "scrub"); err != nil {
		b.Fatal(err)
	}
	const size = 4 << 20
	block := NewBlock(1<<20+4093, 1)
	// A working set for the scrub to read.
	for i := range 64 {
		if _, err := c.Put(ctx, "scrub", fmt.Sprintf("set-%d", i), block.Body(size, int64(i)), size); err != nil {
			b.Fatal(err)
		}
	}
	admin := newAdmin(b, g)
	pr, err := admin.heal(ctx, "POST")
	if err == nil {
		for !pr.Done {
			time.Sleep(50 * time.Millisecond)
			if pr, err = admin.heal(ctx, "GET"); err != nil {
				break
			}
		}
	}
	if err != nil || strings.Contains(pr.Error, "not implemented") {
		b.Skipf("heal not available yet: %v %s", err, pr.Error)
	}
	// measure runs n PUT+GET rounds and returns the seconds they took.
	measure := func(scrub bool, from, n int) float64 {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for scrub {
				select {
				case <-stop:
					return
				default:
				}
				if p, err := admin.heal(ctx, "GET"); err != nil || p.Done {
					_, _ = admin.heal(ctx, "POST")
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		// Two untimed rounds first: connections and caches settle after
		// the idle wait for the previous pass.
		for i := range 2 {
			key := fmt.Sprintf("warm-%d", i)
			if _, err := c.Put(ctx, "scrub", key, block.Body(size, int64(i)), size); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Get(ctx, "scrub", key, 0, -1, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		for i := from; i < from+n; i++ {
			key := fmt.Sprintf("fg-%d", i%8)
			if _, err := c.Put(ctx, "scrub", key, block.Body(size, int64(i)), size); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Get(ctx, "scrub", key, 0, -1, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		el := time.Since(start)
		close(stop)
		<-done
		return el.Seconds()
	}
	b.SetBytes(2 * size)
	b.ReportAllocs()
	b.ResetTimer()
	// Alternate rounds without and with scrub, so drift (page cache, the
	// growing store, a noisy neighbour) falls on both sides alike. The
	// waits for a pass to end are outside both measurements but inside the
	// benchmark's time, so ns/op is not the foreground figure: read the
	// MB/s metrics.
	const rounds = 4
	var plainS, withS float64
	var plainN, withN int
	for r := range rounds {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		if n == 0 {
			continue
		}
		half := max(n/2, 1)
		// A pass started in the last scrub round must end first.
		for {
			p, err := admin.heal(ctx, "GET")
			if err != nil {
				b.Fatal(err)
			}
			if p.Done {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		plainS += measure(false, plainN+withN, half)
		plainN += half
		if n-half > 0 {
			withS += measure(true, plainN+withN, n-half)
			withN += n - half
		}
	}
	if plainS == 0 || withS == 0 {
		return
	}
	plain := float64(2*size*plainN) / plainS / 1e6
	with := float64(2*size*withN) / withS / 1e6
	b.ReportMetric(plain, "MB/s-no-scrub")
	b.ReportMetric(with, "MB/s-scrub")
	b.ReportMetric(with/plain, "ratio")
}

// adminBench signs admin requests for the benchmark.
type adminBench struct {
	endpoint string
	hc       *http.Client
	s        *sigv4.Signer
}

func newAdmin(tb testing.TB, g *Gateway) *adminBench {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if g.CAFile != "" {
		pem, err := os.ReadFile(g.CAFile)
		if err != nil {
			tb.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &adminBench{endpoint: g.Endpoint, hc: &http.Client{Transport: tr},
		s: sigv4.NewSigner(sigv4.ClientCredentials{AccessKey: g.AccessKey, SecretKey: g.SecretKey, Region: "us-east-1"})}
}

// heal sends POST or GET /rustfs/admin/v1/heal.
func (a *adminBench) heal(ctx context.Context, method string) (maint.Progress, error) {
	var pr maint.Progress
	req, err := http.NewRequestWithContext(ctx, method, a.endpoint+"/rustfs/admin/v1/heal", nil)
	if err != nil {
		return pr, err
	}
	sum := sha256.Sum256(nil)
	if err := a.s.Sign(req, hex.EncodeToString(sum[:]), time.Now()); err != nil {
		return pr, err
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return pr, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return pr, fmt.Errorf("%s heal: %s %s", method, res.Status, body)
	}
	return pr, json.Unmarshal(body, &pr)
}
