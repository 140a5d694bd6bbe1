// Package seal encrypts secrets at rest with AES-256-GCM envelope
// encryption.
//
// Each Seal call draws a fresh 256-bit data key, encrypts the plaintext with
// it, and wraps the data key under the primary key-encryption key of the
// Sealer's key ring. The output starts with a format version byte and the key
// ID of that key-encryption key, which Open uses to find the key in the ring.
// A blob sealed under a key outside the ring is reported as such instead of
// failing with a bare authentication error.
//
// A key ring lets the master key be rotated without downtime: the new key is
// added first, every blob is sealed again under it, and the old keys are
// dropped once no blob uses them.
//
// Callers bind every blob to the record it belongs to through the associated
// data (for example "datasource:ds_…"), so a blob copied onto another record
// fails to open.
package seal
