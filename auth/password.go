package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// MinPasswordLength is the minimum number of characters in an admin password.
const MinPasswordLength = 12

// Argon2Params are the Argon2id cost parameters of a password hash.
type Argon2Params struct {
	// MemoryKiB is the memory the hash uses, in KiB.
	MemoryKiB uint32
	// Iterations is the number of passes over the memory.
	Iterations uint32
	// Threads is the degree of parallelism.
	Threads uint8
	// SaltLength and KeyLength are in bytes.
	SaltLength uint32
	KeyLength  uint32
}

// DefaultArgon2Params are the second recommended option of RFC 9106
// section 4 (for memory-constrained environments): 64 MiB of memory, 3
// passes, 4 lanes, a 128-bit salt and a 256-bit tag.
var DefaultArgon2Params = Argon2Params{MemoryKiB: 64 * 1024, Iterations: 3, Threads: 4, SaltLength: 16, KeyLength: 32}

// ErrPasswordTooShort is returned by CheckPassword for a password shorter
// than MinPasswordLength.
var ErrPasswordTooShort = fmt.Errorf("password is too short: use at least %d characters, for example a passphrase of several words", MinPasswordLength)

// CheckPassword reports a password that is too short to be accepted.
func CheckPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return ErrPasswordTooShort
	}
	return nil
}

// HashPassword returns the Argon2id hash of password in the PHC string
// format, for example "$argon2id$v=19$m=65536,t=3,p=4$SALT$HASH".
func HashPassword(password string) (string, error) {
	return hashPasswordWith(password, DefaultArgon2Params)
}

func hashPasswordWith(password string, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}

	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Threads, p.KeyLength)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the encoded hash from
// HashPassword. The comparison of the keys takes constant time.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}

	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

var errMalformedHash = errors.New("stored password hash is not an Argon2id PHC string: set the password again with \"fieldlink admin password\"")

func parseHash(encoded string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errMalformedHash
	}

	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Threads); err != nil {
		return p, nil, nil, errMalformedHash
	}

	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, errMalformedHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return p, nil, nil, errMalformedHash
	}
	return p, salt, key, nil
}

// dummyHash is verified against when a username is unknown, so that a
// sign-in takes as long for an unknown user as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("no admin has this password")
	return h
})
