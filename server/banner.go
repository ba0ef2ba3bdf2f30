package server

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// printBanner writes the start-up summary: where to connect, which
// certificate to trust, and (on first start only) the generated secret,
// with ready-to-paste shell lines.
func printBanner(w io.Writer, cfg Config, s Started) {
	var b strings.Builder
	fmt.Fprintf(&b, "RustFS is serving S3 at %s (region %s)\n", s.Endpoint, cfg.Region)
	if cfg.InsecurePlaintext {
		b.WriteString("WARNING: plain HTTP (--insecure-plaintext): keys, signatures and data are not encrypted in transit.\n")
	}
	if s.Pin != "" {
		fmt.Fprintf(&b, "TLS certificate SPKI pin (sha256, base64): %s\n", s.Pin)
	}
	switch {
	case s.CreatedCredentials:
		fmt.Fprintf(&b, "\nRoot credentials were generated and saved to %s (mode 0600).\n", filepath.Join(cfg.DataDir, "credentials"))
		fmt.Fprintf(&b, "They are shown only this once:\n\n")
		fmt.Fprintf(&b, "  export AWS_ACCESS_KEY_ID=%s\n", s.AccessKey)
		fmt.Fprintf(&b, "  export AWS_SECRET_ACCESS_KEY=%s\n", s.SecretKey)
		fmt.Fprintf(&b, "  export AWS_DEFAULT_REGION=%s\n", cfg.Region)
	case cfg.AccessKey != "":
		fmt.Fprintf(&b, "\nRoot access key %s (from the environment).\n", s.AccessKey)
	default:
		fmt.Fprintf(&b, "\nRoot access key %s; the secret is in %s.\n", s.AccessKey, filepath.Join(cfg.DataDir, "credentials"))
	}
	fmt.Fprintf(&b, "\n  aws --endpoint-url %s", s.Endpoint)
	if s.CAFile != "" {
		fmt.Fprintf(&b, " --ca-bundle %s", s.CAFile)
	}
	b.WriteString(" s3 ls\n\n")
	_, _ = io.WriteString(w, b.String())
}
