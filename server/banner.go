package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// awsEnvFile is the file under the data directory holding the root
// credentials as AWS_* variables: `. <data>/aws.env` prepares a shell for
// the aws CLI, boto3 and the SDKs (which all read these names).
const awsEnvFile = "aws.env"

// printBanner writes the start-up summary: where to connect, which
// certificate to trust, and (on first start only) the generated secret,
// with ready-to-paste shell lines that work as printed.
func printBanner(w io.Writer, cfg Config, s Started, envFile string) {
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
		fmt.Fprintf(&b, "\nRoot access key %s (from the environment: export it as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the aws CLI).\n", s.AccessKey)
	default:
		fmt.Fprintf(&b, "\nRoot access key %s; the secret is in %s.\n", s.AccessKey, filepath.Join(cfg.DataDir, "credentials"))
	}
	if envFile != "" {
		fmt.Fprintf(&b, "\nOr load them into this shell (AWS_* variables, mode 0600):\n\n  . %s\n", envFile)
	}
	fmt.Fprintf(&b, "\n  aws --endpoint-url %s", s.Endpoint)
	if s.CAFile != "" {
		fmt.Fprintf(&b, " --ca-bundle %s", s.CAFile)
	}
	b.WriteString(" s3 ls\n")
	b.WriteString("  curl ")
	if s.CAFile != "" {
		fmt.Fprintf(&b, "--cacert %s ", s.CAFile)
	}
	fmt.Fprintf(&b, "%s/health/ready\n", s.Endpoint)
	b.WriteString("\nPresigned URLs from the aws CLI v1 need SigV4 (v2 uses it already):\n")
	b.WriteString("  aws configure set default.s3.signature_version s3v4\n")
	if cfg.Keyring == "local" {
		key := localKeyPath(cfg)
		fmt.Fprintf(&b, "\nRoot of trust: the local secret %s (two checksummed copies beside it).\n", key)
		b.WriteString("Whoever holds it and a copy of the OSD disks can read every object: keep it on other storage\n")
		b.WriteString("than the data (--keyring-dir), back it up apart from them, or use an HSM (--keyring pkcs11).\n")
		if rel, err := filepath.Rel(cfg.DataDir, key); err == nil && !strings.HasPrefix(rel, "..") {
			b.WriteString("It is inside the data directory now.\n")
		}
	}
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String())
}

// writeAWSEnv writes <data>/aws.env (mode 0600, replaced atomically) with
// the root credentials, region, endpoint and CA bundle as the AWS tools'
// environment variables. Credentials that came from the environment are
// not written to disk: it returns "" then.
func writeAWSEnv(cfg Config, s Started) (string, error) {
	if cfg.AccessKey != "" {
		return "", nil
	}
	path := filepath.Join(cfg.DataDir, awsEnvFile)
	var b strings.Builder
	b.WriteString("# rustfs: root credentials and endpoint for the aws CLI, boto3 and the AWS SDKs\n")
	fmt.Fprintf(&b, "export AWS_ACCESS_KEY_ID=%s\n", s.AccessKey)
	fmt.Fprintf(&b, "export AWS_SECRET_ACCESS_KEY=%s\n", s.SecretKey)
	fmt.Fprintf(&b, "export AWS_DEFAULT_REGION=%s\n", cfg.Region)
	fmt.Fprintf(&b, "export AWS_ENDPOINT_URL=%s\n", s.Endpoint)
	if s.CAFile != "" {
		fmt.Fprintf(&b, "export AWS_CA_BUNDLE=%s\n", s.CAFile)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("server: %s: %w", awsEnvFile, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // an old tmp file keeps its mode
		os.Remove(tmp)
		return "", fmt.Errorf("server: %s: %w", awsEnvFile, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("server: %s: %w", awsEnvFile, err)
	}
	return path, nil
}
