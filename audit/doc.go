// Package audit writes the gateway's tamper-evident audit log: one JSON
// line per API call, hash-chained, with ML-DSA-65 signed checkpoints of the
// chain head, fanned out to sinks (a size-rotated file, the human access
// log, a SIEM endpoint with an on-disk spool), and Verify, which checks a
// log offline.
//
// File format (one JSON object per line, UTF-8, '\n' terminated):
//
//	{"type":"request","seq":1,"time":"…","requestId":…,…,"prev":"<hex>","hash":"<hex>"}
//	{"type":"checkpoint","seq":1,"head":"<hex>","time":"…","gatewayId":…,"keyId":…,"pub":"<b64>","pubFp":"<hex>","final":true,"sig":"<b64>"}
//
// A record's body is its line without the trailing `,"hash":"…"` member
// (closed with '}'); hash = SHA-256(prev ‖ body) with prev the raw 32 bytes
// of the previous record's hash (zero for seq 1). Hashing the exact bytes
// rather than a re-encoding means any edit, even of whitespace, breaks the
// chain. A "dropped" record (same chain) says how many records the bounded
// queue had to drop since the last one. A checkpoint is not chained: it
// names the last record's seq and hash and signs its own body (the line
// without `,"sig":"…"`) with ML-DSA-65 under the context "rustfs/v1/audit".
// Checkpoints are written every CheckpointInterval, every CheckpointEvery
// records, before each file rotation, and at Close (final: true).
package audit
