package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// adminClient sends signed admin requests to a running server.
type adminClient struct {
	endpoint string
	http     *http.Client
	signer   *sigv4.Signer
}

// adminFlags registers --endpoint, --ca-cert, --data, --credentials,
// --region and returns a constructor for the client.
func adminFlags(fs *flag.FlagSet, getenv func(string) string) func() (*adminClient, error) {
	endpoint := fs.String("endpoint", "https://127.0.0.1:9000", "server URL")
	ca := fs.String("ca-cert", "", "PEM CA certificate to trust (default <data>/tls/cert.pem with --data)")
	data := fs.String("data", "", "the server's data directory (for the CA certificate and credentials)")
	credFile := fs.String("credentials", "", "root credentials file (default <data>/credentials; RUSTFS_ACCESS_KEY/RUSTFS_SECRET_KEY win)")
	region := fs.String("region", "us-east-1", "S3 region")
	return func() (*adminClient, error) {
		ak, sk := getenv("RUSTFS_ACCESS_KEY"), getenv("RUSTFS_SECRET_KEY")
		if ak == "" || sk == "" {
			path := *credFile
			if path == "" && *data != "" {
				path = filepath.Join(*data, "credentials")
			}
			if path == "" {
				return nil, errors.New("no credentials: set RUSTFS_ACCESS_KEY and RUSTFS_SECRET_KEY, or --credentials/--data")
			}
			var err error
			if ak, sk, err = iam.ReadCredentials(path); err != nil {
				return nil, err
			}
		}
		caFile := *ca
		if caFile == "" && *data != "" {
			caFile = filepath.Join(*data, "tls", "cert.pem")
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if caFile != "" && strings.HasPrefix(*endpoint, "https://") {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, fmt.Errorf("CA certificate: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA certificate %s: no PEM certificate", caFile)
			}
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		return &adminClient{
			endpoint: strings.TrimRight(*endpoint, "/"),
			http:     &http.Client{Transport: tr, Timeout: 30 * time.Second},
			signer:   sigv4.NewSigner(sigv4.ClientCredentials{AccessKey: ak, SecretKey: sk, Region: *region}),
		}, nil
	}
}

// do sends a body-less admin request, expects status want and decodes
// the JSON answer into out.
func (c *adminClient) do(ctx context.Context, method, path string, want int, out any) error {
	return c.send(ctx, method, path, nil, nil, want, out)
}

// call sends an admin request with query and body, expects 200 and
// decodes the JSON answer into out (when not nil).
func (c *adminClient) call(ctx context.Context, method, path string, q url.Values, body []byte, out any) error {
	return c.send(ctx, method, path, q, body, http.StatusOK, out)
}

// send is the one place admin requests are built and signed (the Signer
// adds a random, signed amz-sdk-invocation-id, so two identical commands
// within one second are not taken for a replay).
func (c *adminClient) send(ctx context.Context, method, path string, q url.Values, body []byte, want int, out any) error {
	target := c.endpoint + "/rustfs/admin/v1/" + path
	if len(q) > 0 {
		target += "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	if err := c.signer.Sign(req, hex.EncodeToString(sum[:]), time.Now()); err != nil {
		return err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, adminErrorMessage(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}
