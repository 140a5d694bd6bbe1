package seal

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadKeyCreatesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "master.key")

	key, created, err := LoadKey("", path)
	if err != nil {
		t.Fatalf("LoadKey: %v", err)
	}
	if !created {
		t.Errorf("created = false, want true for a new file")
	}
	if len(key) != KeySize {
		t.Errorf("key is %d bytes, want %d", len(key), KeySize)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat key file: %v", err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", got)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read key file: %v", err)
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("key file is not base64: %v", err)
	}
	if !bytes.Equal(decoded, key) {
		t.Errorf("key file holds a different key from the one returned")
	}
}

func TestLoadKeyReadsExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")

	first, _, err := LoadKey("", path)
	if err != nil {
		t.Fatalf("first LoadKey: %v", err)
	}

	second, created, err := LoadKey("", path)
	if err != nil {
		t.Fatalf("second LoadKey: %v", err)
	}
	if created {
		t.Errorf("created = true on the second load")
	}
	if !bytes.Equal(first, second) {
		t.Errorf("second load returned a different key")
	}
}

func TestLoadKeyConcurrentCreateAgrees(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")

	const loaders = 8
	keys := make([][]byte, loaders)
	errs := make([]error, loaders)
	var wg sync.WaitGroup
	for i := range loaders {
		wg.Go(func() {
			keys[i], _, errs[i] = LoadKey("", path)
		})
	}
	wg.Wait()

	for i := range loaders {
		if errs[i] != nil {
			t.Fatalf("loader %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Errorf("loader %d got a different key from loader 0", i)
		}
	}
}

func TestLoadKeyRejectsOpenPermissions(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620} {
		path := filepath.Join(t.TempDir(), "master.key")
		content := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeySize))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}

		_, _, err := LoadKey("", path)
		if err == nil {
			t.Fatalf("mode %04o: no error", mode)
		}
		if want := "chmod 600 " + path; !strings.Contains(err.Error(), want) {
			t.Errorf("mode %04o: error %q does not contain %q", mode, err, want)
		}
		if strings.Contains(err.Error(), content) {
			t.Errorf("mode %04o: error echoes the key", mode)
		}
	}
}

func TestLoadKeyRejectsBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	content := "not-a-key-but-secret-looking-text"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	_, _, err := LoadKey("", path)
	if err == nil {
		t.Fatal("no error for a file without a key")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
	if strings.Contains(err.Error(), content) {
		t.Errorf("error echoes the file content")
	}
}

func TestLoadKeyEnvForms(t *testing.T) {
	key := make([]byte, KeySize)
	for i := range key {
		// 0xfb and 0xff make '+' and '/' in standard base64, '-' and '_'
		// in URL encoding, so the forms really differ.
		key[i] = byte(0xfb + i%5)
	}

	tests := []struct {
		name  string
		value string
	}{
		{"standard", base64.StdEncoding.EncodeToString(key)},
		{"standard unpadded", base64.RawStdEncoding.EncodeToString(key)},
		{"URL", base64.URLEncoding.EncodeToString(key)},
		{"URL unpadded", base64.RawURLEncoding.EncodeToString(key)},
		{"trailing newline", base64.StdEncoding.EncodeToString(key) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyFile := filepath.Join(t.TempDir(), "master.key")

			got, created, err := LoadKey(tt.value, keyFile)
			if err != nil {
				t.Fatalf("LoadKey: %v", err)
			}
			if !bytes.Equal(got, key) {
				t.Errorf("key = %x, want %x", got, key)
			}
			if created {
				t.Errorf("created = true with the key in the environment")
			}
			if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
				t.Errorf("key file was touched: stat err = %v", err)
			}
		})
	}
}

func TestLoadKeyBadEnvValue(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"not base64", "my-plain-password!!"},
		{"too short", base64.StdEncoding.EncodeToString([]byte("sixteen-byte-key"))},
		{"too long", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("k"), 48))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadKey(tt.value, filepath.Join(t.TempDir(), "master.key"))
			if err == nil {
				t.Fatal("no error")
			}

			msg := err.Error()
			if !strings.Contains(msg, "FIELDLINK_MASTER_KEY") {
				t.Errorf("error %q does not name FIELDLINK_MASTER_KEY", msg)
			}
			if !strings.Contains(msg, "base64") || !strings.Contains(msg, "32") {
				t.Errorf("error %q does not state the expected form", msg)
			}
			if strings.Contains(msg, tt.value) {
				t.Errorf("error %q echoes the value", msg)
			}
		})
	}
}

func TestLoadKeyNoSource(t *testing.T) {
	_, _, err := LoadKey("", "")
	if err == nil || !strings.Contains(err.Error(), "FIELDLINK_MASTER_KEY") {
		t.Errorf("err = %v, want one naming FIELDLINK_MASTER_KEY", err)
	}
}
