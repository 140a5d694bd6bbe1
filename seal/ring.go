package seal

import (
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Sealer seals and opens secrets under a key ring of key-encryption keys. It
// seals with the first key of the ring, the primary key, and opens blobs
// sealed under any key of the ring, found by the key ID in the blob. Keeping
// the old keys in the ring after a new primary key is added lets a master
// key be rotated without downtime. It is safe for concurrent use.
type Sealer struct {
	mu   sync.RWMutex
	ring []ringKey

	// reloadMu serializes reloads, so that concurrent Opens meeting the
	// same new key ID read the keys once.
	reloadMu   sync.Mutex
	reloadFunc func() ([][]byte, error)
}

// ringKey is one key-encryption key of a ring.
type ringKey struct {
	id  [keyIDSize]byte
	kek cipher.AEAD
}

// RingOptions configures a Sealer made by NewRing.
type RingOptions struct {
	// ReloadFunc returns the current keys, newest first, for example by
	// reading the key file again (see ReadKeyFile). When Open meets a blob
	// sealed under a key ID that the ring lacks, it calls ReloadFunc once
	// and tries again. The returned keys lead the new ring, so the first
	// becomes the primary key, and earlier keys they lack follow them.
	// Nil means the ring never changes.
	//
	// NOTE: only Open reloads, so until a running process opens a blob under
	// the new key it keeps sealing new values under its old primary key.
	ReloadFunc func() ([][]byte, error)
}

// New returns a Sealer for a ring of 32-byte key-encryption keys, newest
// first. It seals with keys[0] and opens blobs sealed under any of them.
func New(keys ...[]byte) (*Sealer, error) {
	return NewRing(keys, RingOptions{})
}

// NewRing returns a Sealer for a ring of 32-byte key-encryption keys,
// newest first, with the options. It rejects an empty ring and two keys
// with the same key ID.
func NewRing(keys [][]byte, opts RingOptions) (*Sealer, error) {
	ring, err := newRing(keys)
	if err != nil {
		return nil, fmt.Errorf("create sealer: %w", err)
	}
	return &Sealer{ring: ring, reloadFunc: opts.ReloadFunc}, nil
}

func newRing(keys [][]byte) ([]ringKey, error) {
	if len(keys) == 0 {
		return nil, errors.New("no key given")
	}

	ring := make([]ringKey, 0, len(keys))
	seen := map[[keyIDSize]byte]int{}
	for i, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("key %d of %d is %d bytes, want %d", i+1, len(keys), len(key), KeySize)
		}

		id := deriveKeyID(key)
		if first, ok := seen[id]; ok {
			return nil, fmt.Errorf("keys %d and %d have the same key ID %s: list each key once", first+1, i+1, hex.EncodeToString(id[:]))
		}
		seen[id] = i

		kek, err := newGCM(key)
		if err != nil {
			return nil, err
		}
		ring = append(ring, ringKey{id: id, kek: kek})
	}
	return ring, nil
}

// KeyID returns the hex ID of the primary key, which Seal writes into every
// new blob. A key ID is derived from the key by a one-way hash and is safe to
// log.
func (s *Sealer) KeyID() string {
	id := s.primary().id
	return hex.EncodeToString(id[:])
}

// KeyIDs returns the hex IDs of the ring's keys, the primary key first.
func (s *Sealer) KeyIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return ringIDs(s.ring)
}

// KeyID returns the hex ID of a 32-byte key, as Sealer.KeyID reports it.
func KeyID(key []byte) string {
	id := deriveKeyID(key)
	return hex.EncodeToString(id[:])
}

func (s *Sealer) primary() ringKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ring[0]
}

func (s *Sealer) find(id [keyIDSize]byte) (ringKey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range s.ring {
		if k.id == id {
			return k, true
		}
	}
	return ringKey{}, false
}

// keyFor returns the ring's key with the ID. When the ring lacks it, keyFor
// reloads the ring once, if a reload function is set, and looks again.
func (s *Sealer) keyFor(id [keyIDSize]byte) (ringKey, error) {
	if k, ok := s.find(id); ok {
		return k, nil
	}
	if s.reloadFunc == nil {
		return ringKey{}, s.wrongKey(id, nil)
	}

	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()

	// Another Open may have reloaded the ring while this one waited.
	if k, ok := s.find(id); ok {
		return k, nil
	}

	keys, err := s.reloadFunc()
	if err != nil {
		return ringKey{}, s.wrongKey(id, err)
	}
	reloaded, err := newRing(keys)
	if err != nil {
		return ringKey{}, s.wrongKey(id, err)
	}

	s.mu.Lock()
	s.ring = mergeRings(reloaded, s.ring)
	s.mu.Unlock()

	if k, ok := s.find(id); ok {
		return k, nil
	}
	return ringKey{}, s.wrongKey(id, nil)
}

// mergeRings returns the keys of first followed by the keys of second that
// first lacks.
func mergeRings(first, second []ringKey) []ringKey {
	merged := append([]ringKey(nil), first...)
	for _, k := range second {
		known := false
		for _, m := range first {
			if m.id == k.id {
				known = true
				break
			}
		}
		if !known {
			merged = append(merged, k)
		}
	}
	return merged
}

func (s *Sealer) wrongKey(id [keyIDSize]byte, reloadErr error) *WrongKeyError {
	return &WrongKeyError{
		BlobKeyID: hex.EncodeToString(id[:]),
		KeyIDs:    s.KeyIDs(),
		ReloadErr: reloadErr,
	}
}

func ringIDs(ring []ringKey) []string {
	ids := make([]string, len(ring))
	for i, k := range ring {
		ids[i] = hex.EncodeToString(k.id[:])
	}
	return ids
}

// WrongKeyError reports a blob sealed under a key that is not in the ring.
// It matches ErrWrongKey with errors.Is.
type WrongKeyError struct {
	// BlobKeyID is the ID of the key the blob was sealed under.
	BlobKeyID string
	// KeyIDs are the IDs of the ring's keys, the primary key first.
	KeyIDs []string
	// ReloadErr is the error of reloading the ring, if the reload failed.
	ReloadErr error
}

// Error names the blob's key ID and the ring's key IDs, never a key.
func (e *WrongKeyError) Error() string {
	msg := fmt.Sprintf("%s: blob key ID %s, key ring IDs %s", ErrWrongKey, e.BlobKeyID, strings.Join(e.KeyIDs, ", "))
	if e.ReloadErr != nil {
		msg += fmt.Sprintf(" (reloading the keys failed: %v)", e.ReloadErr)
	}
	return msg
}

// Is reports whether target is ErrWrongKey.
func (e *WrongKeyError) Is(target error) bool {
	return target == ErrWrongKey
}

// Unwrap returns the reload error, if any.
func (e *WrongKeyError) Unwrap() error {
	return e.ReloadErr
}
