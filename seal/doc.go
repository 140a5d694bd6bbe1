// Package seal encrypts secrets at rest with AES-256-GCM envelope
// encryption.
//
// Each Seal call draws a fresh 256-bit data key, encrypts the plaintext with
// it, and wraps the data key under the key-encryption key given to New. The
// output starts with a format version byte and the key ID of the
// key-encryption key, so a blob sealed under another key is reported as such
// instead of failing with a bare authentication error.
//
// Callers bind every blob to the record it belongs to through the associated
// data (for example "datasource:ds_…"), so a blob copied onto another record
// fails to open.
package seal
