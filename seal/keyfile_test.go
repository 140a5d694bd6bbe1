package seal

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadKeyFileSeveralKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	newKey, oldKey := testKey(2), testKey(1)

	// Blank lines, surrounding spaces and CRLF line ends are accepted.
	content := "\n" + EncodeKey(newKey) + "\r\n\n  " + base64.RawURLEncoding.EncodeToString(oldKey) + "  \n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	keys, err := ReadKeyFile(path)
	if err != nil {
		t.Fatalf("ReadKeyFile: %v", err)
	}
	if diff := cmp.Diff([][]byte{newKey, oldKey}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}

	key, _, err := LoadKey("", path)
	if err != nil {
		t.Fatalf("LoadKey: %v", err)
	}
	if diff := cmp.Diff(newKey, key); diff != "" {
		t.Errorf("LoadKey returned another key than the newest (-want +got):\n%s", diff)
	}
}

func TestReadKeyFileBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	secretLooking := "second-line-secret-looking-text"
	content := EncodeKey(testKey(2)) + "\n" + secretLooking + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := ReadKeyFile(path)
	if err == nil {
		t.Fatal("no error for a file with a bad second line")
	}
	if want := path + " line 2 does not contain a valid key"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if strings.Contains(err.Error(), secretLooking) || strings.Contains(err.Error(), EncodeKey(testKey(2))) {
		t.Errorf("error %q echoes the file content", err)
	}
}

func TestReadKeyFileRejects(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"empty", "", "contains no key"},
		{"blank lines only", "\n  \n", "contains no key"},
		{"duplicate key", EncodeKey(testKey(1)) + "\n" + EncodeKey(testKey(1)) + "\n", "keys 1 and 2 have the same key ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}

			_, err := ReadKeyFile(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWriteKeyFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	oldKey, newKey := testKey(1), testKey(2)

	if _, created, err := LoadKeys("", path); err != nil || !created {
		t.Fatalf("LoadKeys: created = %v, err = %v, want a new file", created, err)
	}
	first, err := ReadKeyFile(path)
	if err != nil {
		t.Fatalf("ReadKeyFile: %v", err)
	}

	for _, keys := range [][][]byte{{oldKey}, {newKey, first[0], oldKey}, {newKey}} {
		if err := WriteKeyFile(path, keys); err != nil {
			t.Fatalf("WriteKeyFile: %v", err)
		}

		got, err := ReadKeyFile(path)
		if err != nil {
			t.Fatalf("ReadKeyFile: %v", err)
		}
		if diff := cmp.Diff(keys, got); diff != "" {
			t.Errorf("keys read back (-want +got):\n%s", diff)
		}

		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("mode = %04o, want 0600", perm)
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %q, want only master.key", names)
	}
}

func TestWriteKeyFileRejectsBadRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")

	for _, keys := range [][][]byte{nil, {testKey(1), testKey(1)}, {make([]byte, 8)}} {
		if err := WriteKeyFile(path, keys); err == nil {
			t.Errorf("WriteKeyFile(%d keys): no error", len(keys))
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a rejected ring left a key file (stat: %v)", err)
	}
}

func TestLoadKeysEnvSeveral(t *testing.T) {
	newKey, oldKey := testKey(2), testKey(1)

	keys, created, err := LoadKeys(EncodeKey(newKey)+", "+base64.RawURLEncoding.EncodeToString(oldKey), "")
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	if created {
		t.Error("created = true with the keys in the environment")
	}
	if diff := cmp.Diff([][]byte{newKey, oldKey}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestLoadKeysBadEnvList(t *testing.T) {
	good := EncodeKey(testKey(2))
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"bad second key", good + ",not-a-key-MARKER", "key 2 of 2"},
		{"empty entry", good + ",", "key 2 of 2"},
		{"same key twice", good + "," + good, "keys 1 and 2 have the same key ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadKeys(tt.value, "")
			if err == nil {
				t.Fatal("no error")
			}

			msg := err.Error()
			for _, want := range []string{"FIELDLINK_MASTER_KEY", tt.want, "separated by commas"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if strings.Contains(msg, "MARKER") || strings.Contains(msg, good) {
				t.Errorf("error %q echoes a key", msg)
			}
		})
	}
}

func TestGenerateKeyDistinct(t *testing.T) {
	a, b := GenerateKey(), GenerateKey()

	if len(a) != KeySize || len(b) != KeySize {
		t.Fatalf("key lengths %d and %d, want %d", len(a), len(b), KeySize)
	}
	if string(a) == string(b) {
		t.Error("two generated keys are equal")
	}

	decoded, err := DecodeKey(EncodeKey(a))
	if err != nil {
		t.Fatalf("DecodeKey(EncodeKey): %v", err)
	}
	if diff := cmp.Diff(a, decoded); diff != "" {
		t.Errorf("decoded key (-want +got):\n%s", diff)
	}
}
