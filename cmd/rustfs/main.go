// Command rustfs is the RustFS gateway: an S3-compatible object store that
// encrypts every object with a post-quantum key envelope and erasure-codes
// it across rack-spread OSDs.
//
//	rustfs server        serve S3 (flags or RUSTFS_* environment variables)
//	rustfs keys rotate   re-sign manifests with the current signing key
//	rustfs keys init     root-key ceremony: split a new root into signed shares
//	rustfs keys resplit  split the same root again (new custodians or threshold)
//	rustfs keys log      check and print the ceremony audit log
//	rustfs unseal        send key shares to a sealed server
//	rustfs audit verify check an audit log's hash chain and signatures
//	rustfs policy simulate  decide a request against policy files
//	rustfs bench         S3 load generator (A/B against a second endpoint)
//	rustfs cpu           show which CPU kernels run on this machine
//	rustfs version       print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the process exit code: 0 on
// success, 1 on failure, 2 on usage errors.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "server":
		return cmdServer(ctx, args[1:], stdout, stderr, getenv)
	case "keys":
		switch {
		case len(args) >= 2 && args[1] == "rotate":
			return cmdKeysRotate(ctx, args[2:], stdout, stderr, getenv)
		case len(args) >= 2 && args[1] == "init":
			return cmdKeysInit(args[2:], stdout, stderr, getenv)
		case len(args) >= 2 && args[1] == "kms-create":
			return cmdKeysKMSCreate(ctx, args[2:], stdout, stderr, getenv)
		case len(args) >= 2 && args[1] == "resplit":
			return cmdKeysResplit(args[2:], stdout, stderr, getenv)
		case len(args) >= 2 && args[1] == "log":
			return cmdKeysLog(args[2:], stdout, stderr, getenv)
		}
		fmt.Fprintln(stderr, "usage: rustfs keys rotate|init|resplit|log|kms-create [flags]")
		return 2
	case "unseal":
		return cmdUnseal(ctx, args[1:], stdout, stderr, getenv)
	case "audit":
		return cmdAudit(args[1:], stdout, stderr, getenv)
	case "admin":
		return cmdAdmin(ctx, args[1:], stdout, stderr, getenv)
	case "heal":
		return cmdHeal(ctx, args[1:], stdout, stderr, getenv)
	case "status":
		return cmdStatus(ctx, args[1:], stdout, stderr, getenv)
	case "policy":
		return cmdPolicy(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr, getenv)
	case "cpu":
		return cmdCPU(stdout)
	case "version", "--version", "-version":
		return cmdVersion(stdout)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "rustfs: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: rustfs <command> [flags]

commands:
  server        serve the S3 API (rustfs server -h lists the flags)
  keys rotate   re-sign every manifest with the current signing key
  keys kms-create NAME  print the id of KMS key NAME (aws:kms; --account, default root)
  keys init     split a new local root key into signed shares (--shares N --threshold M --out DIR)
  keys resplit  split the same root again from current shares (--shares N --threshold M --out DIR SHARE...)
  keys log      print the keyring's ceremony.log and check its hash chain
  unseal        send key share files to a sealed server (rustfs unseal -h)
  audit verify  check an audit log: hash chain, checkpoint signatures (exit 1 names the first bad record)
  admin         users, access keys and identity policies (rustfs admin user|key|policy …)
  heal          run a full deep heal pass on a running server now
  status        OSD states and redundancy of a running server
  policy simulate  decide a request against policy files (Allow: exit 0, Deny: 1)
  bench         S3 load generator; --endpoint-b compares two servers (rustfs bench -h)
  cpu           print the CPU features and the kernels in use
  version       print the version

Every flag has an environment equivalent: --chunk-size is RUSTFS_CHUNK_SIZE.
Root credentials come from RUSTFS_ACCESS_KEY and RUSTFS_SECRET_KEY, or are
generated on first start into <data>/credentials.
`)
}
