package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/server"
)

// cmdKeysKMSCreate runs `rustfs keys kms-create [flags] NAME`: it prints
// the id of the KMS key NAME of an account, which buckets
// (PutBucketEncryption aws:kms) and PUTs
// (x-amz-server-side-encryption-aws-kms-key-id) name. The id is computed
// in the keyring, not stored: the same keyring always prints the same id.
func cmdKeysKMSCreate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs keys kms-create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.DefaultConfig()
	storageFlags(fs, &cfg)
	account := fs.String("account", iam.RootAccount, "account (bucket owner) the key belongs to")
	fs.Var(listFlag{&cfg.UnsealShares}, "unseal-share", "key share file, when the local keyring is sealed (repeatable)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil && fs.NArg() != 1 {
		err = errors.New("want exactly one key NAME (1..64 of A-Z a-z 0-9 _ .)")
	}
	if err == nil {
		err = applyEnv(fs, getenv)
	}
	if err == nil {
		err = bindBackend(&cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys kms-create: %v\n", err)
		return 2
	}
	id, err := server.CreateKMSKey(ctx, cfg, *account, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys kms-create: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, id)
	return 0
}
