package seal

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvVar is the environment variable that contains the master key.
const EnvVar = "FIELDLINK_MASTER_KEY"

// keyForm describes the accepted key encoding in error messages.
const keyForm = "base64 (standard or URL encoding) of 32 random bytes, for example the output of `openssl rand -base64 32`"

// LoadKey returns the master key. When envValue (the value of
// FIELDLINK_MASTER_KEY) is not empty it is decoded as base64 of 32 bytes and
// keyFile is not touched. Otherwise the key is read from keyFile. When that
// file does not exist, LoadKey creates it with mode 0600 and a fresh random
// key, and created reports this so the caller can log it. A key file that
// group or others can read or write is rejected. Errors never contain the key.
func LoadKey(envValue, keyFile string) (key []byte, created bool, err error) {
	if envValue != "" {
		key, err := decodeKey(envValue)
		if err != nil {
			return nil, false, fmt.Errorf("invalid %s: %w. Set it to %s", EnvVar, err, keyForm)
		}
		return key, false, nil
	}

	if keyFile == "" {
		return nil, false, fmt.Errorf("load master key: %s is not set and no key file path was given", EnvVar)
	}

	key, err = readKeyFile(keyFile)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}

	key, err = createKeyFile(keyFile)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the file first: use its key.
		key, err = readKeyFile(keyFile)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return key, true, nil
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

// readKeyFile reads and decodes a key file after checking its permissions.
func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read master key file %s: %w", path, err)
	}

	if info.IsDir() {
		return nil, fmt.Errorf("read master key file %s: it is a directory, so give the path of a file", path)
	}

	// Windows has no Unix permission bits to check.
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s has mode %04o, so other users can read or change it: run `chmod 600 %s`", path, info.Mode().Perm(), path)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read master key file %s: %w", path, err)
	}

	key, err := decodeKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("master key file %s does not contain a valid key: %w. It must contain %s", path, err, keyForm)
	}
	return key, nil
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

	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create master key file %s: generate key: %w", path, err)
	}

	// os.CreateTemp creates the file with mode 0600.
	tmp, err := os.CreateTemp(dir, ".fieldlink-key-*")
	if err != nil {
		return nil, fmt.Errorf("create master key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())

	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
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
