// Package sealed keeps the metadata store confidential at rest. It wraps any
// storage.Meta (the local directories, RADOS omap) and is itself a
// storage.Meta, so everything above it (object layer, IAM, policies, scrub,
// heal, GC) is unchanged while nothing below it sees a plaintext namespace,
// key or value:
//
//   - a namespace is stored as "m" + a keyed hash of its name, a key as a
//     keyed hash of (namespace, key), both HMAC-SHA-256 under the metadata
//     key, truncated to 144 bits and base64url-encoded;
//   - a value is sealed with AES-256-GCM, its additional data binding it to
//     its plaintext namespace and key, so a value moved to another key (or
//     altered) is refused as storage.ErrCorrupt;
//   - S3's byte-ordered listing is served by a sealed ordered index per
//     namespace (index.go): a B-link tree of sealed leaf blocks holding the
//     plaintext keys, updated with the backend's conditional writes, so
//     several gateways on one backend stay consistent, under a root block
//     and, once the namespace outgrows one guide, guide blocks (root →
//     guides → leaves) that are only hints: a cold page reads a small root,
//     one guide of at most 64 KiB and O(page) leaves, however large the
//     namespace.
//
// Versions and conditions (IfAbsent, IfVersion) pass straight through to the
// wrapped store, so conditional writes stay atomic. The index may hold keys
// whose record is gone (a crash between index insert and record write, a
// delete whose index update failed, a PUT that failed after Reserve indexed
// its key ahead of the data): records are the truth, List skips and prunes
// such keys. See docs/FORMAT.md ("Sealed metadata") for the layout
// and docs/SECURITY.md for what remains visible.
package sealed
