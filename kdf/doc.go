// Package kdf is the key hierarchy of RustFS: a root keyring (a local file for
// development, or a PKCS#11 HSM in production) derives per-customer secrets,
// per-customer hybrid post-quantum KEM key pairs (X-Wing: ML-KEM-768 + X25519)
// and the ML-DSA-65 manifest signing key. Every object gets a fresh data key
// from a KEM encapsulation plus a random salt; only public values (KEM
// ciphertext, salt, key commitment and key ids) are stored in the manifest
// envelope, never a secret.
//
// Derivation (all labels are ASCII, all integers big-endian):
//
//	CK      = Keyring.HMAC("rustfs/v1/customer" ‖ u32 len ‖ account ‖ u32 epoch)
//	kemSeed = HKDF-SHA256(ikm=CK, salt=nil, info="rustfs/v1/kem-seed" ‖ u8 suite)
//	(sk,pk) = X-Wing.DeriveKeyPair(kemSeed)
//	binding = SHA-256(canonical context: account, bucket, key, upload id)
//	(ct,ss) = X-Wing.Encapsulate(pk)                      per object / upload
//	OEK     = HKDF-SHA256(ikm=ss ‖ CK, salt=32 random bytes, info="rustfs/v1/oek" ‖ binding)
//	K_data  = HKDF-Expand(OEK, "enc"), commitment = HKDF-Expand(OEK, "commit")
//	sigSeed = Keyring.HMAC("rustfs/v1/sign" ‖ u32 version) → ML-DSA-65 key pair
//
// docs/FORMAT.md ("Key envelope") is the normative description.
package kdf
