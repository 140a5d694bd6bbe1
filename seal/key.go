package seal

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvVar is the environment variable that contains the master key, or
// several master keys separated by commas, newest first.
const EnvVar = "FIELDLINK_MASTER_KEY"

// keyForm describes the accepted key encoding in error messages.
const keyForm = "base64 (standard or URL encoding) of 32 random bytes, for example the output of `openssl rand -base64 32`"

// LoadKeys returns the master keys, newest first. When envValue (the value
// of FIELDLINK_MASTER_KEY) is not empty it is read as one base64 key of 32
// bytes, or several separated by commas, and keyFile is not touched.
// Otherwise the keys are read from keyFile, one a line (see ReadKeyFile).
// When that file does not exist, LoadKeys creates it with mode 0600 and a
// fresh random key, and created reports this so the caller can log it.
// Errors never contain a key.
func LoadKeys(envValue, keyFile string) (keys [][]byte, created bool, err error) {
	if envValue != "" {
		keys, err := ParseKeys(envValue)
		if err != nil {
			return nil, false, fmt.Errorf("invalid %s: %w. Set it to %s, or to several such keys separated by commas, newest first", EnvVar, err, keyForm)
		}
		return keys, false, nil
	}

	if keyFile == "" {
		return nil, false, fmt.Errorf("load master key: %s is not set and no key file path was given", EnvVar)
	}

	keys, err = ReadKeyFile(keyFile)
	if err == nil {
		return keys, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}

	key, err := createKeyFile(keyFile)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the file first: use its keys.
		keys, err = ReadKeyFile(keyFile)
		return keys, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return [][]byte{key}, true, nil
}

// LoadKey returns the newest master key from the sources of LoadKeys, for
// callers that seal and open with one key. Use LoadKeys or LoadSealer to open
// values sealed under the older keys of a rotation.
func LoadKey(envValue, keyFile string) (key []byte, created bool, err error) {
	keys, created, err := LoadKeys(envValue, keyFile)
	if err != nil {
		return nil, false, err
	}
	return keys[0], created, nil
}

// LoadSealer returns a Sealer for the master keys of LoadKeys. When the keys
// come from keyFile, the Sealer reads the file again when it meets a value
// sealed under a key ID it lacks, so a running server picks up a key
// rotation done by another process without a restart. Keys from the
// environment cannot change while the process runs, so they are not
// reloaded.
func LoadSealer(envValue, keyFile string) (s *Sealer, created bool, err error) {
	keys, created, err := LoadKeys(envValue, keyFile)
	if err != nil {
		return nil, false, err
	}

	var opts RingOptions
	if envValue == "" {
		opts.ReloadFunc = func() ([][]byte, error) { return ReadKeyFile(keyFile) }
	}
	s, err = NewRing(keys, opts)
	if err != nil {
		return nil, false, err
	}
	return s, created, nil
}

// ParseKeys decodes one base64 key of 32 bytes, or several separated by
// commas. Its errors name the position of a bad key, never its content.
func ParseKeys(text string) ([][]byte, error) {
	parts := strings.Split(text, ",")

	keys := make([][]byte, 0, len(parts))
	for i, part := range parts {
		key, err := DecodeKey(part)
		if err != nil {
			if len(parts) == 1 {
				return nil, err
			}
			return nil, fmt.Errorf("key %d of %d: %w", i+1, len(parts), err)
		}
		keys = append(keys, key)
	}

	if _, err := newRing(keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// DecodeKey decodes one base64 key of 32 bytes, in standard or URL
// encoding, padded or not, ignoring surrounding white space. Its errors
// describe the length, never the content.
func DecodeKey(text string) ([]byte, error) {
	return decodeKey(text)
}

// EncodeKey returns the standard base64 form of a key, as written to the key
// file and accepted by FIELDLINK_MASTER_KEY.
func EncodeKey(key []byte) string {
	return base64.StdEncoding.EncodeToString(key)
}

// GenerateKey returns a new random 32-byte key.
func GenerateKey() []byte {
	key := make([]byte, KeySize)
	// Since Go 1.24, crypto/rand.Read never returns an error.
	_, _ = rand.Read(key)
	return key
}

// decodeKey decodes base64 in any of the four standard alphabets and
// paddings. Its errors describe the length, never the content.
func decodeKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)

	encodings := []*base64.Encoding{
		base64.StdEncoding,
		base64.RawStdEncoding,
		base64.URLEncoding,
		base64.RawURLEncoding,
	}
	for _, enc := range encodings {
		key, err := enc.DecodeString(text)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("value decodes to %d bytes, want %d", len(key), KeySize)
		}
		return key, nil
	}
	return nil, fmt.Errorf("value of %d characters is not valid base64", len(text))
}

// createKeyFile writes a fresh random key to path. The key is written to a
// temporary file first and then linked into place, so a concurrent reader
// never sees a partly written key. An existing file is never replaced, and
// the result is fs.ErrExist when path exists.
func createKeyFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create master key file %s: %w", path, err)
	}

	key := GenerateKey()

	// os.CreateTemp creates the file with mode 0600.
	tmp, err := os.CreateTemp(dir, ".fieldlink-key-*")
	if err != nil {
		return nil, fmt.Errorf("create master key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())

	_, err = tmp.WriteString(EncodeKey(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, fmt.Errorf("create master key file %s: write: %w", path, err)
	}

	// NOTE: file systems without hard links (FAT, some network shares) fail
	// here, so the key file must live on one that has them.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fs.ErrExist
		}
		return nil, fmt.Errorf("create master key file %s: %w", path, err)
	}
	return key, nil
}
