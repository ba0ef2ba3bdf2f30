package s3api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// selfSignedValidity is how long a generated certificate is valid: short
// enough that browsers' and OpenSSL's limits on leaf lifetimes accept it.
const selfSignedValidity = 397 * 24 * time.Hour

// TLSConfig returns the server TLS configuration: TLS 1.3 only, with the
// hybrid post-quantum group X25519MLKEM768 preferred, so every connection
// from a client that offers it (Go ≥ 1.24, recent OpenSSL, browsers) is
// protected against harvest-now-decrypt-later.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384},
		Certificates:     []tls.Certificate{cert},
		NextProtos:       []string{"http/1.1"},
	}
}

// LoadCertificate loads a PEM certificate chain and key.
func LoadCertificate(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("s3api: load certificate %s: %w", certFile, err)
	}
	if cert.Leaf == nil && len(cert.Certificate) > 0 {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("s3api: parse certificate %s: %w", certFile, err)
		}
	}
	return cert, nil
}

// EnsureSelfSigned makes sure dir holds cert.pem and key.pem, generating a
// self-signed ECDSA P-256 certificate for hosts (plus localhost, 127.0.0.1,
// ::1 and this machine's hostname) when neither exists. The key is written
// with mode 0600. created reports a fresh certificate.
func EnsureSelfSigned(dir string, hosts []string) (certFile, keyFile string, created bool, err error) {
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_, cerr := os.Stat(certFile)
	_, kerr := os.Stat(keyFile)
	switch {
	case cerr == nil && kerr == nil:
		return certFile, keyFile, false, nil
	case !errors.Is(cerr, fs.ErrNotExist) && cerr != nil:
		return "", "", false, fmt.Errorf("s3api: %w", cerr)
	case !errors.Is(kerr, fs.ErrNotExist) && kerr != nil:
		return "", "", false, fmt.Errorf("s3api: %w", kerr)
	case cerr == nil || kerr == nil:
		return "", "", false, fmt.Errorf("s3api: %s holds only one of cert.pem and key.pem; remove it or supply both", dir)
	}
	certPEM, keyPEM, err := selfSigned(hosts, time.Now())
	if err != nil {
		return "", "", false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", false, fmt.Errorf("s3api: %w", err)
	}
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return "", "", false, err
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		return "", "", false, err
	}
	return certFile, keyFile, true, nil
}

// selfSigned returns a PEM certificate and PKCS#8 key for hosts.
func selfSigned(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("s3api: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("s3api: serial: %w", err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("s3api: %w", err)
	}
	ski := sha256.Sum256(spki)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"RustFS"}, CommonName: "RustFS self-signed"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(selfSignedValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// A self-signed certificate is its own trust anchor (--ca-bundle);
		// strict verifiers (Python ≥ 3.13) want CA:TRUE and key identifiers.
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski[:20],
		AuthorityKeyId:        ski[:20],
	}
	names := append([]string{"localhost", "127.0.0.1", "::1"}, hosts...)
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	seen := map[string]bool{}
	for _, h := range names {
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("s3api: create certificate: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("s3api: marshal key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
	return certPEM, keyPEM, nil
}

// writeFileAtomic writes data to a temporary file with perm and renames it
// into place, so a crash never leaves a half-written key or certificate.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("s3api: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err = f.Chmod(perm); err == nil {
		if _, err = f.Write(data); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("s3api: write %s: %w", path, err)
	}
	return nil
}

// SPKIPin returns the base64 SHA-256 of the certificate's public key
// (SubjectPublicKeyInfo): the pin clients such as curl
// (--pinnedpubkey sha256//PIN) check, and stable across re-issues with the
// same key.
func SPKIPin(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}
