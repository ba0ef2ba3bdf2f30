// Package users is the IAM user store: users, their access keys, groups
// and the named identity policies attached to users and groups, kept in
// storage.Meta (namespace "iam") so every gateway of a backend shares them.
// A user's identity policies are its own plus those of every group it is a
// member of. Each user has a unique id (aws:userid, "AIDA…"), new when a
// name is reused. The store also keeps bucket-level public access blocks
// (pab.go), access settings every gateway must agree on.
//
// Every user belongs to the root account (iam.RootAccount), so a user's
// ARN is arn:aws:iam::root:user/<name> (policy.UserARN) and the buckets the
// root account owns are the same account's resources: an identity policy's
// Allow suffices, a bucket policy's explicit Deny still wins. A user's key
// authenticates as iam.UserAccount(account, name), which is never
// iam.RootAccount, so no root-only path (admin API, unseal) admits a user.
//
// Secret keys are needed in clear for HMAC verification, so they are
// stored sealed with AES-256-GCM under a key derived from the keyring
// (kdf.Service.SecretsKey), bound to their access key id, and held
// decrypted only in this process's memory. Each gateway re-reads the
// namespace every Options.Refresh (default 2 s), so a change made through
// one gateway applies to all within seconds, and at once on the gateway
// that made it. Lookup, the authentication hot path, reads an immutable
// snapshot without locks or allocation.
package users
