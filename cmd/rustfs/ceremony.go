package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/server"
)

// cmdKeysInit runs `rustfs keys init`: the root-key ceremony.
func cmdKeysInit(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs keys init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.DefaultConfig()
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (the keyring defaults to <data>/keys)")
	fs.StringVar(&cfg.KeyringDir, "keyring-dir", cfg.KeyringDir, "directory that receives ceremony.json (default <data>/keys)")
	fs.StringVar(&cfg.KeyringFile, "keyring-file", cfg.KeyringFile, "the local root secret that must not exist yet (default <keyring-dir>/root.key)")
	n := fs.Int("shares", 0, "number of key shares to write (N)")
	m := fs.Int("threshold", 0, "shares needed to unseal (M, 2..N)")
	out := fs.String("out", "", "directory for the share files (one per custodian; move them off this machine)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = applyEnv(fs, getenv)
	}
	if err == nil && (*out == "" || *n == 0 || *m == 0) {
		err = errors.New("--shares, --threshold and --out are required")
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys init: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rec, paths, err := server.InitCeremony(cfg, *out, *n, *m, log)
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys init: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Keyring %s split into %d shares; any %d unseal it.\n", rec.KeyringID, rec.Shares, rec.Threshold)
	for _, p := range paths {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	fmt.Fprintln(stdout, "Give each share file to a different custodian and delete it here; the root key exists nowhere else.")
	fmt.Fprintln(stdout, "The server now starts sealed: rustfs server --unseal-share FILE ..., or rustfs unseal FILE ... against it.")
	return 0
}

// cmdUnseal runs `rustfs unseal`: it sends share files to a sealed server.
func cmdUnseal(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs unseal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := adminFlags(fs, getenv)
	wait := fs.Duration("wait", 30*time.Second, "after unsealing, wait this long for the server to be ready (0: do not wait)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: rustfs unseal [flags] SHARE-FILE...")
		return 2
	}
	c, err := client()
	if err != nil {
		fmt.Fprintf(stderr, "rustfs unseal: %v\n", err)
		return 2
	}
	var req server.UnsealRequest
	for _, p := range fs.Args() {
		raw, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintf(stderr, "rustfs unseal: %v\n", err)
			return 1
		}
		if !json.Valid(raw) {
			fmt.Fprintf(stderr, "rustfs unseal: %s is not a share file (not JSON)\n", p)
			return 1
		}
		req.Shares = append(req.Shares, json.RawMessage(raw))
	}
	resp, err := c.unseal(ctx, req)
	if err != nil {
		fmt.Fprintf(stderr, "rustfs unseal: %v\n", err)
		return 1
	}
	for _, r := range resp.Refused {
		fmt.Fprintf(stderr, "rustfs unseal: refused %s\n", r)
	}
	if resp.Sealed {
		fmt.Fprintf(stdout, "Accepted shares %v; still sealed: %d more of %d needed.\n", resp.Accepted, resp.Need, resp.Threshold)
		if len(resp.Refused) > 0 {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "Accepted shares %v; unsealed.\n", resp.Accepted)
	if *wait > 0 {
		if err := c.waitReady(ctx, *wait); err != nil {
			fmt.Fprintf(stderr, "rustfs unseal: unsealed, but the server is not ready: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, "The server is serving.")
	}
	return 0
}

// unseal posts req, signed with its SHA-256, and decodes the answer.
func (c *adminClient) unseal(ctx context.Context, req server.UnsealRequest) (*server.UnsealResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+server.UnsealPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	if err := c.signer.Sign(hr, hex.EncodeToString(sum[:]), time.Now()); err != nil {
		return nil, err
	}
	res, err := c.http.Do(hr)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var out server.UnsealResponse
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && json.Unmarshal(raw, &out) == nil {
		return &out, nil
	}
	// A server that is not sealed answers with the S3 server's admin API,
	// which has no unseal endpoint.
	if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed ||
		bytes.Contains(raw, []byte("No admin endpoint")) {
		return nil, fmt.Errorf("%s: the server is not sealed (%s)", c.endpoint, res.Status)
	}
	return nil, fmt.Errorf("%s: %s", res.Status, strings.TrimSpace(string(raw)))
}

// waitReady polls /health/ready until it answers 200: after unsealing, the
// server closes its sealed listener and builds its stack on the same port.
func (c *adminClient) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+"/health/ready", nil)
		if err != nil {
			return err
		}
		if res, err := c.http.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
