package seal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func newTestSealer(t *testing.T, fill byte) *Sealer {
	t.Helper()

	s, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newTestSealer(t, 7)

	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"secret with record", []byte("client-secret-value"), []byte("datasource:ds_abc")},
		{"empty plaintext", []byte{}, []byte("hook:hk_abc")},
		{"no associated data", []byte("token"), nil},
		{"large plaintext", bytes.Repeat([]byte("x"), 1<<16), []byte("a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := s.Seal(tt.plaintext, tt.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}

			if len(tt.plaintext) > 0 && bytes.Contains(sealed, tt.plaintext) {
				t.Errorf("sealed blob contains the plaintext")
			}

			got, err := s.Open(sealed, tt.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestSealFreshNonceEachCall(t *testing.T) {
	s := newTestSealer(t, 7)

	a, err := s.Seal([]byte("same"), []byte("r"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	b, err := s.Seal([]byte("same"), []byte("r"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	if bytes.Equal(a, b) {
		t.Errorf("two seals of the same plaintext are identical")
	}
}

func TestSealHeader(t *testing.T) {
	s := newTestSealer(t, 7)

	sealed, err := s.Seal([]byte("v"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	if sealed[0] != version1 {
		t.Errorf("version byte = %d, want %d", sealed[0], version1)
	}
	if got := sealed[1:headerSize]; hex.EncodeToString(got) != s.KeyID() {
		t.Errorf("key ID = %x, want %s", got, s.KeyID())
	}
	if got, want := len(sealed), overhead+1; got != want {
		t.Errorf("len = %d, want %d", got, want)
	}
}

func TestOpenTamperDetected(t *testing.T) {
	s := newTestSealer(t, 7)

	sealed, err := s.Seal([]byte("client-secret-value"), []byte("datasource:ds_a"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	// Flip one bit in every position after the header: the wrap nonce, the
	// wrapped data key, the payload nonce, the ciphertext and the tag.
	for i := headerSize; i < len(sealed); i++ {
		changed := bytes.Clone(sealed)
		changed[i] ^= 0x01

		_, err := s.Open(changed, []byte("datasource:ds_a"))
		if !errors.Is(err, ErrAuthentication) {
			t.Fatalf("byte %d flipped: err = %v, want ErrAuthentication", i, err)
		}
	}
}

func TestOpenOtherRecordFails(t *testing.T) {
	s := newTestSealer(t, 7)

	sealed, err := s.Seal([]byte("client-secret-value"), []byte("datasource:ds_a"))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	_, err = s.Open(sealed, []byte("datasource:ds_b"))
	if !errors.Is(err, ErrAuthentication) {
		t.Errorf("err = %v, want ErrAuthentication", err)
	}
}

func TestOpenWrongKey(t *testing.T) {
	sealer := newTestSealer(t, 7)
	other := newTestSealer(t, 8)

	sealed, err := sealer.Seal([]byte("client-secret-value"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	_, err = other.Open(sealed, nil)
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("err = %v, want ErrWrongKey", err)
	}
	if !strings.Contains(err.Error(), sealer.KeyID()) || !strings.Contains(err.Error(), other.KeyID()) {
		t.Errorf("error %q does not name both key IDs", err)
	}
}

func TestOpenChangedKeyIDFails(t *testing.T) {
	sealer := newTestSealer(t, 7)
	other := newTestSealer(t, 8)

	sealed, err := sealer.Seal([]byte("client-secret-value"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	// A blob relabelled with the other key's ID still fails, because the
	// header is authenticated with the data key.
	otherID, err := hex.DecodeString(other.KeyID())
	if err != nil {
		t.Fatalf("decode key ID: %v", err)
	}
	copy(sealed[1:headerSize], otherID)
	_, err = other.Open(sealed, nil)
	if !errors.Is(err, ErrAuthentication) {
		t.Errorf("err = %v, want ErrAuthentication", err)
	}
}

func TestOpenMalformed(t *testing.T) {
	s := newTestSealer(t, 7)

	sealed, err := s.Seal([]byte("v"), nil)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	unknownVersion := bytes.Clone(sealed)
	unknownVersion[0] = 99

	tests := []struct {
		name string
		blob []byte
	}{
		{"nil", nil},
		{"truncated", sealed[:overhead-1]},
		{"unknown version", unknownVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Open(tt.blob, nil)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestNewRejectsKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		_, err := New(make([]byte, n))
		if err == nil {
			t.Errorf("New with %d-byte key: no error", n)
		}
	}
}
