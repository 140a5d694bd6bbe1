package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the length in bytes of a key-encryption key: AES-256.
const KeySize = 32

// version1 is the format of blobs written by Seal:
//
//	version (1) | key ID (4) | wrap nonce (12) | wrapped data key (32+16) | nonce (12) | ciphertext+tag
const version1 byte = 1

const (
	keyIDSize      = 4
	nonceSize      = 12
	tagSize        = 16
	headerSize     = 1 + keyIDSize
	wrappedKeySize = KeySize + tagSize
	overhead       = headerSize + nonceSize + wrappedKeySize + nonceSize + tagSize
)

// Errors returned by Open. They carry no part of the plaintext or the key.
var (
	// ErrMalformed means the blob is too short or has an unknown format
	// version, so it was not written by this package.
	ErrMalformed = errors.New("sealed value is malformed")

	// ErrWrongKey means the blob was sealed under a key-encryption key that
	// is not in the Sealer's key ring. Open returns it as a *WrongKeyError.
	ErrWrongKey = errors.New("sealed value was sealed under a different key")

	// ErrAuthentication means the blob was changed after sealing, or was
	// opened with associated data other than the data it was sealed with.
	ErrAuthentication = errors.New("sealed value failed authentication: it was changed or belongs to another record")
)

// Seal encrypts plaintext under a fresh data key, wraps the data key under
// the primary key of the ring, and returns the blob.
// associatedData is authenticated but not encrypted, and Open must be given
// the same bytes.
func (s *Sealer) Seal(plaintext []byte, associatedData []byte) ([]byte, error) {
	dataKey := make([]byte, KeySize)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, fmt.Errorf("seal: generate data key: %w", err)
	}

	dek, err := newGCM(dataKey)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}

	primary := s.primary()

	out := make([]byte, 0, overhead+len(plaintext))
	out = append(out, version1)
	out = append(out, primary.id[:]...)
	header := out[:headerSize]

	// The data key is wrapped with the header as associated data, so a
	// changed version byte or key ID fails authentication.
	wrapNonce, err := randomNonce()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out = append(out, wrapNonce...)
	out = primary.kek.Seal(out, wrapNonce, dataKey, header)

	nonce, err := randomNonce()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out = append(out, nonce...)
	out = dek.Seal(out, nonce, plaintext, dataAAD(header, associatedData))
	return out, nil
}

// Open authenticates and decrypts a blob written by Seal with the same
// associated data, under whichever key of the ring the blob names. When the
// ring lacks that key and a reload function is set, Open reloads the ring
// once and tries again. It returns ErrMalformed, a *WrongKeyError (matching
// ErrWrongKey) or ErrAuthentication, wrapped, when the blob cannot be opened.
func (s *Sealer) Open(ciphertext []byte, associatedData []byte) ([]byte, error) {
	if err := checkFormat(ciphertext); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}

	header := ciphertext[:headerSize]
	var keyID [keyIDSize]byte
	copy(keyID[:], header[1:headerSize])
	key, err := s.keyFor(keyID)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}

	rest := ciphertext[headerSize:]
	wrapNonce, rest := rest[:nonceSize], rest[nonceSize:]
	wrapped, rest := rest[:wrappedKeySize], rest[wrappedKeySize:]
	nonce, sealed := rest[:nonceSize], rest[nonceSize:]

	dataKey, err := key.kek.Open(nil, wrapNonce, wrapped, header)
	if err != nil {
		return nil, fmt.Errorf("open: unwrap data key: %w", ErrAuthentication)
	}

	dek, err := newGCM(dataKey)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}

	plaintext, err := dek.Open(nil, nonce, sealed, dataAAD(header, associatedData))
	if err != nil {
		return nil, fmt.Errorf("open: %w", ErrAuthentication)
	}
	return plaintext, nil
}

// checkFormat returns an error matching ErrMalformed unless blob has the
// length and version of a blob written by Seal.
func checkFormat(blob []byte) error {
	if len(blob) < overhead {
		return fmt.Errorf("%w: %d bytes is shorter than the minimum of %d", ErrMalformed, len(blob), overhead)
	}
	if blob[0] != version1 {
		return fmt.Errorf("%w: unknown format version %d", ErrMalformed, blob[0])
	}
	return nil
}

// BlobKeyID returns the hex ID of the key that blob was sealed under,
// without opening it. It returns an error matching ErrMalformed for a blob
// not written by Seal.
func BlobKeyID(blob []byte) (string, error) {
	if err := checkFormat(blob); err != nil {
		return "", err
	}
	return hex.EncodeToString(blob[1:headerSize]), nil
}

// dataAAD returns the associated data of the payload encryption: the header
// followed by the caller's associated data, length-prefixed so that no two
// different inputs produce the same bytes.
func dataAAD(header, associatedData []byte) []byte {
	aad := make([]byte, 0, len(header)+8+len(associatedData))
	aad = append(aad, header...)
	aad = binary.BigEndian.AppendUint64(aad, uint64(len(associatedData)))
	return append(aad, associatedData...)
}

// deriveKeyID hashes the key with a fixed label, so the ID reveals nothing
// usable about the key.
func deriveKeyID(key []byte) [keyIDSize]byte {
	h := sha256.New()
	h.Write([]byte("fieldlink seal key id v1\x00"))
	h.Write(key)

	var id [keyIDSize]byte
	copy(id[:], h.Sum(nil))
	return id
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create AES cipher: %w", err)
	}

	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create GCM: %w", err)
	}
	return aead, nil
}

func randomNonce() ([]byte, error) {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return nonce, nil
}
