package seal

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testKey(fill byte) []byte {
	return bytes.Repeat([]byte{fill}, KeySize)
}

func mustSeal(t *testing.T, s *Sealer, plaintext, aad string) []byte {
	t.Helper()

	sealed, err := s.Seal([]byte(plaintext), []byte(aad))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

func TestRingSealsWithPrimary(t *testing.T) {
	newKey, oldKey := testKey(2), testKey(1)
	ring, err := New(newKey, oldKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	if diff := cmp.Diff([]string{KeyID(newKey), KeyID(oldKey)}, ring.KeyIDs()); diff != "" {
		t.Errorf("KeyIDs (-want +got):\n%s", diff)
	}
	if got := ring.KeyID(); got != KeyID(newKey) {
		t.Errorf("KeyID = %s, want the primary key's %s", got, KeyID(newKey))
	}

	sealed := mustSeal(t, ring, "client-secret-value", "datasource:ds_a")
	got, err := BlobKeyID(sealed)
	if err != nil {
		t.Fatalf("BlobKeyID: %v", err)
	}
	if got != KeyID(newKey) {
		t.Errorf("blob key ID = %s, want the primary key's %s", got, KeyID(newKey))
	}

	// Only the primary key opens it: a ring of the old key alone fails.
	oldOnly, err := New(oldKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := oldOnly.Open(sealed, []byte("datasource:ds_a")); !errors.Is(err, ErrWrongKey) {
		t.Errorf("old key alone: err = %v, want ErrWrongKey", err)
	}
}

func TestRingOpensOldBlobs(t *testing.T) {
	newKey, middleKey, oldKey := testKey(3), testKey(2), testKey(1)
	ring, err := New(newKey, middleKey, oldKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	for _, key := range [][]byte{newKey, middleKey, oldKey} {
		single, err := New(key)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		sealed := mustSeal(t, single, "secret-under-"+KeyID(key), "hook:hk_a")

		got, err := ring.Open(sealed, []byte("hook:hk_a"))
		if err != nil {
			t.Fatalf("key %s: Open: %v", KeyID(key), err)
		}
		if want := "secret-under-" + KeyID(key); string(got) != want {
			t.Errorf("key %s: Open = %q, want %q", KeyID(key), got, want)
		}
	}
}

func TestRingWrongKeyNamesIDs(t *testing.T) {
	other, err := New(testKey(9))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sealed := mustSeal(t, other, "client-secret-value", "")

	ring, err := New(testKey(2), testKey(1))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = ring.Open(sealed, nil)

	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("err = %v, want ErrWrongKey", err)
	}
	var wrongKey *WrongKeyError
	if !errors.As(err, &wrongKey) {
		t.Fatalf("err = %T, want a *WrongKeyError in the chain", err)
	}
	want := &WrongKeyError{BlobKeyID: other.KeyID(), KeyIDs: ring.KeyIDs()}
	if diff := cmp.Diff(want, wrongKey); diff != "" {
		t.Errorf("WrongKeyError (-want +got):\n%s", diff)
	}
	for _, id := range append(ring.KeyIDs(), other.KeyID()) {
		if !strings.Contains(err.Error(), id) {
			t.Errorf("error %q does not name key ID %s", err, id)
		}
	}
}

// countingReload returns a reload function that returns keys and counts its
// calls.
func countingReload(calls *atomic.Int32, keys ...[]byte) func() ([][]byte, error) {
	return func() ([][]byte, error) {
		calls.Add(1)
		return keys, nil
	}
}

func TestRingReloadOnUnknownKeyID(t *testing.T) {
	newKey, oldKey := testKey(2), testKey(1)
	var calls atomic.Int32
	ring, err := NewRing([][]byte{oldKey}, RingOptions{ReloadFunc: countingReload(&calls, newKey, oldKey)})
	if err != nil {
		t.Fatalf("NewRing: %v", err)
	}
	rotated, err := New(newKey, oldKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	// A blob under a known key opens without a reload.
	if _, err := ring.Open(mustSeal(t, ring, "old", "a"), []byte("a")); err != nil {
		t.Fatalf("Open under the old key: %v", err)
	}
	if got := calls.Load(); got != 0 {
		t.Errorf("reloads after opening a known key's blob = %d, want 0", got)
	}

	got, err := ring.Open(mustSeal(t, rotated, "new", "a"), []byte("a"))
	if err != nil {
		t.Fatalf("Open under the new key: %v", err)
	}
	if string(got) != "new" {
		t.Errorf("Open = %q, want %q", got, "new")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("reloads = %d, want 1", got)
	}

	// The reloaded ring seals with the new primary key and needs no
	// further reload.
	if diff := cmp.Diff([]string{KeyID(newKey), KeyID(oldKey)}, ring.KeyIDs()); diff != "" {
		t.Errorf("KeyIDs after reload (-want +got):\n%s", diff)
	}
	if _, err := ring.Open(mustSeal(t, rotated, "again", "a"), []byte("a")); err != nil {
		t.Fatalf("second Open under the new key: %v", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("reloads after a second new-key blob = %d, want 1", got)
	}
}

func TestRingReloadStillUnknown(t *testing.T) {
	var calls atomic.Int32
	ring, err := NewRing([][]byte{testKey(1)}, RingOptions{ReloadFunc: countingReload(&calls, testKey(1))})
	if err != nil {
		t.Fatalf("NewRing: %v", err)
	}
	other, err := New(testKey(9))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sealed := mustSeal(t, other, "v", "")

	_, err = ring.Open(sealed, nil)
	if !errors.Is(err, ErrWrongKey) {
		t.Errorf("err = %v, want ErrWrongKey", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("reloads for one Open = %d, want 1", got)
	}
}

func TestRingReloadError(t *testing.T) {
	reloadErr := errors.New("read master key file /data/master.key: permission denied")
	ring, err := NewRing([][]byte{testKey(1)}, RingOptions{
		ReloadFunc: func() ([][]byte, error) { return nil, reloadErr },
	})
	if err != nil {
		t.Fatalf("NewRing: %v", err)
	}
	other, err := New(testKey(9))
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	_, err = ring.Open(mustSeal(t, other, "v", ""), nil)
	if !errors.Is(err, ErrWrongKey) {
		t.Errorf("err = %v, want ErrWrongKey", err)
	}
	if !errors.Is(err, reloadErr) {
		t.Errorf("err = %v, want the reload error in its chain", err)
	}
	if !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("error %q does not say why the reload failed", err)
	}

	// The ring is unchanged and still opens its own blobs.
	if _, err := ring.Open(mustSeal(t, ring, "v", ""), nil); err != nil {
		t.Errorf("Open after a failed reload: %v", err)
	}
}

func TestRingReloadKeepsEarlierKeys(t *testing.T) {
	newKey, oldKey := testKey(2), testKey(1)
	var calls atomic.Int32
	ring, err := NewRing([][]byte{oldKey}, RingOptions{ReloadFunc: countingReload(&calls, newKey)})
	if err != nil {
		t.Fatalf("NewRing: %v", err)
	}
	oldBlob := mustSeal(t, ring, "old", "")
	newOnly, err := New(newKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	if _, err := ring.Open(mustSeal(t, newOnly, "new", ""), nil); err != nil {
		t.Fatalf("Open under the new key: %v", err)
	}

	// The reloaded keys lack the old key, but a blob under it still opens.
	if _, err := ring.Open(oldBlob, nil); err != nil {
		t.Errorf("Open under the old key after the reload: %v", err)
	}
	if diff := cmp.Diff([]string{KeyID(newKey), KeyID(oldKey)}, ring.KeyIDs()); diff != "" {
		t.Errorf("KeyIDs (-want +got):\n%s", diff)
	}
}

func TestRingConcurrentReloadOnce(t *testing.T) {
	newKey, oldKey := testKey(2), testKey(1)
	var calls atomic.Int32
	ring, err := NewRing([][]byte{oldKey}, RingOptions{ReloadFunc: countingReload(&calls, newKey, oldKey)})
	if err != nil {
		t.Fatalf("NewRing: %v", err)
	}
	rotated, err := New(newKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sealed := mustSeal(t, rotated, "new", "")

	const openers = 16
	errs := make([]error, openers)
	var wg sync.WaitGroup
	for i := range openers {
		wg.Go(func() {
			_, errs[i] = ring.Open(sealed, nil)
		})
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("opener %d: %v", i, err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("reloads = %d, want 1", got)
	}
}

func TestLoadSealerReloadsKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	oldKey, newKey := testKey(1), testKey(2)
	if err := WriteKeyFile(path, [][]byte{oldKey}); err != nil {
		t.Fatalf("WriteKeyFile: %v", err)
	}

	running, created, err := LoadSealer("", path)
	if err != nil {
		t.Fatalf("LoadSealer: %v", err)
	}
	if created {
		t.Errorf("created = true for an existing key file")
	}
	oldBlob := mustSeal(t, running, "old", "a")

	// Another process rotates: the file lists the new key first, and a
	// value is sealed under it.
	if err := WriteKeyFile(path, [][]byte{newKey, oldKey}); err != nil {
		t.Fatalf("WriteKeyFile: %v", err)
	}
	rotated, err := New(newKey, oldKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	got, err := running.Open(mustSeal(t, rotated, "new", "a"), []byte("a"))
	if err != nil {
		t.Fatalf("Open a value sealed after the rotation: %v", err)
	}
	if string(got) != "new" {
		t.Errorf("Open = %q, want %q", got, "new")
	}
	if _, err := running.Open(oldBlob, []byte("a")); err != nil {
		t.Errorf("Open a value sealed before the rotation: %v", err)
	}
	if got := running.KeyID(); got != KeyID(newKey) {
		t.Errorf("KeyID after the reload = %s, want the new key's %s", got, KeyID(newKey))
	}
}

func TestLoadSealerEnvNoReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	newKey := testKey(2)
	if err := WriteKeyFile(path, [][]byte{newKey}); err != nil {
		t.Fatalf("WriteKeyFile: %v", err)
	}

	// With the keys in the environment the key file is not read, even to
	// look for a key the ring lacks.
	fromEnv, _, err := LoadSealer(EncodeKey(testKey(1)), path)
	if err != nil {
		t.Fatalf("LoadSealer: %v", err)
	}
	rotated, err := New(newKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	_, err = fromEnv.Open(mustSeal(t, rotated, "new", ""), nil)
	if !errors.Is(err, ErrWrongKey) {
		t.Errorf("err = %v, want ErrWrongKey", err)
	}
}

func TestNewRingRejects(t *testing.T) {
	tests := []struct {
		name string
		keys [][]byte
		want string
	}{
		{"no key", nil, "no key given"},
		{"short key", [][]byte{testKey(1), make([]byte, 16)}, "key 2 of 2 is 16 bytes, want 32"},
		{"duplicate", [][]byte{testKey(1), testKey(2), testKey(1)}, "keys 1 and 3 have the same key ID " + KeyID(testKey(1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRing(tt.keys, RingOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestBlobKeyIDMalformed(t *testing.T) {
	for _, blob := range [][]byte{nil, []byte("short"), append([]byte{99}, make([]byte, overhead)...)} {
		if _, err := BlobKeyID(blob); !errors.Is(err, ErrMalformed) {
			t.Errorf("BlobKeyID(%d bytes): err = %v, want ErrMalformed", len(blob), err)
		}
	}
}
