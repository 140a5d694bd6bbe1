package seal

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ReadKeyFile returns the keys in a key file, newest first. The file holds
// one base64 key of 32 bytes a line, and blank lines are ignored, so a file
// written for a single key is read as a ring of one. A file that group or
// others can read or write is rejected. Errors name the line of a bad key,
// never its content.
func ReadKeyFile(path string) ([][]byte, error) {
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

	var keys [][]byte
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, err := decodeKey(line)
		if err != nil {
			return nil, fmt.Errorf("master key file %s line %d does not contain a valid key: %w. Each line must contain %s, the newest key first", path, i+1, err, keyForm)
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("master key file %s contains no key: it must contain %s", path, keyForm)
	}

	if _, err := newRing(keys); err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return keys, nil
}

// WriteKeyFile replaces the key file at path with the keys, one a line,
// newest first. It writes a temporary file with mode 0600 in the same folder
// and renames it over path, so a concurrent reader sees the old file or the
// new one, never a part.
func WriteKeyFile(path string, keys [][]byte) error {
	if _, err := newRing(keys); err != nil {
		return fmt.Errorf("write master key file %s: %w", path, err)
	}

	var content strings.Builder
	for _, key := range keys {
		content.WriteString(EncodeKey(key))
		content.WriteString("\n")
	}

	dir := filepath.Dir(path)
	// os.CreateTemp creates the file with mode 0600.
	tmp, err := os.CreateTemp(dir, ".fieldlink-key-*")
	if err != nil {
		return fmt.Errorf("write master key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())

	_, err = tmp.WriteString(content.String())
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("write master key file %s: %w", path, err)
	}

	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write master key file %s: %w", path, err)
	}

	// Sync the folder so the rename survives a crash. Some systems cannot
	// sync a folder, and the rename is done either way, so a failure here
	// is ignored.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
