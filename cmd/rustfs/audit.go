package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/tasmaniancloud/rustfs/audit"
	"github.com/tasmaniancloud/rustfs/server"
)

const auditUsage = "usage: rustfs audit verify [--pubkey FILE | --data DIR] [--partial] [--allow-tail] FILE…"

// cmdAudit runs `rustfs audit verify`: exit 0 when the chain is intact and
// every checkpoint verifies, 1 naming the first bad record, 2 on usage
// errors.
func cmdAudit(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, auditUsage)
		return 2
	}
	fs := flag.NewFlagSet("rustfs audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, auditUsage+"\n\nFILEs are checked in the order given, as one chain: pass rotated files first (FILE.000001 … FILE).")
		fs.PrintDefaults()
	}
	var o audit.VerifyOptions
	pubFile := fs.String("pubkey", "", "the server's audit public key file (<data>/"+server.AuditPubFile+") or its SHA-256 fingerprint in hex; pins the signer")
	data := fs.String("data", "", "data directory whose "+server.AuditPubFile+" pins the signer")
	fs.BoolVar(&o.Partial, "partial", false, "accept a chain that starts after seq 1 (older rotated files removed)")
	fs.BoolVar(&o.AllowTail, "allow-tail", false, "accept records after the last checkpoint (a live server's log)")
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = applyEnv(fs, getenv)
	}
	if err == nil && fs.NArg() == 0 {
		err = errors.New("no audit log files given")
	}
	if err == nil && *pubFile == "" && *data != "" {
		*pubFile = filepath.Join(*data, server.AuditPubFile)
	}
	if err == nil && *pubFile != "" {
		o.PubFP, err = readPubFP(*pubFile)
	}
	for _, f := range fs.Args() {
		if err != nil {
			break
		}
		if _, e := os.Stat(f); e != nil {
			err = e
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs audit verify: %v\n%s\n", err, auditUsage)
		return 2
	}
	rep, err := audit.Verify(fs.Args(), o)
	if err != nil {
		fmt.Fprintf(stdout, "FAIL %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "OK %d records (seq %d..%d), %d checkpoints, %d dropped by the writer, signed by %s\n",
		rep.Records, rep.First, rep.Last, rep.Checkpoints, rep.Dropped, strings.Join(rep.Keys, ","))
	if o.PubFP == "" {
		fmt.Fprintln(stderr, "note: signatures were checked against the key the log itself carries; pin the server's key with --pubkey or --data")
	}
	if rep.Tail > 0 {
		fmt.Fprintf(stderr, "note: %d records after the last checkpoint are not signed yet\n", rep.Tail)
	} else if !rep.Final {
		fmt.Fprintln(stderr, "note: the last checkpoint is periodic, not a shutdown one: the server is running or stopped uncleanly, or the log was cut at a checkpoint")
	}
	return 0
}

// readPubFP reads a public key file (base64 packed ML-DSA-65 key, as the
// server writes it) or a hex fingerprint and returns the fingerprint.
func readPubFP(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	s := strings.TrimSpace(string(raw))
	if len(s) == 64 {
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s), nil
		}
	}
	pub, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(pub) != mldsa65.PublicKeySize {
		return "", fmt.Errorf("public key %s: want base64 of an ML-DSA-65 public key or a hex fingerprint", path)
	}
	return audit.Fingerprint(pub), nil
}
