package credential

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/fieldlink/fieldlink"
)

// fingerprinter computes keyed HMACs over the settings an authorizer is
// built from. The fingerprints kept in memory reveal nothing about the
// secrets they cover. It is safe for concurrent use.
type fingerprinter struct {
	// states holds *fingerprintState values, reused because every request
	// fingerprints its datasource.
	states sync.Pool
}

// fingerprintState is an HMAC keyed with the fingerprinter's random key and
// a buffer for the settings.
type fingerprintState struct {
	mac hash.Hash
	buf []byte
}

func newFingerprinter(key []byte) *fingerprinter {
	f := &fingerprinter{}
	f.states.New = func() any { return &fingerprintState{mac: hmac.New(sha256.New, key)} }
	return f
}

// sum returns the HMAC of every setting an authorizer is built from, and of
// UpdatedAt, so that saving a datasource drops a remembered configuration
// error even when the fix was made at the authorization server. Every field
// of fieldlink.Auth counts.
func (f *fingerprinter) sum(ds fieldlink.Datasource) []byte {
	state := f.states.Get().(*fingerprintState)
	defer f.states.Put(state)

	a := ds.Auth
	buf := state.buf[:0]

	buf = appendString(buf, string(a.Mode))
	buf = appendString(buf, a.Username)
	buf = appendString(buf, a.Password)
	buf = appendString(buf, a.Token)
	buf = appendString(buf, a.APIKeyName)
	buf = appendString(buf, a.APIKeyValue)
	buf = appendString(buf, a.APIKeyIn)
	buf = appendString(buf, a.TokenURL)
	buf = appendString(buf, a.ClientID)
	buf = appendString(buf, a.ClientSecret)
	buf = appendString(buf, a.ClientAuthentication)
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(a.Scopes)))
	for _, scope := range a.Scopes {
		buf = appendString(buf, scope)
	}
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(a.TokenParams)))
	// Sorting the keys of an empty map still allocates, so it is skipped.
	if len(a.TokenParams) > 0 {
		for _, name := range slices.Sorted(maps.Keys(a.TokenParams)) {
			buf = appendString(buf, name)
			buf = appendString(buf, a.TokenParams[name])
		}
	}
	buf = appendString(buf, a.ClientCertificate)
	buf = appendString(buf, a.ClientPrivateKey)
	buf = appendBool(buf, a.SendX5T)
	buf = appendString(buf, a.TLSClientCertificate)
	buf = appendString(buf, a.TLSClientKey)
	buf = appendTime(buf, a.SecretExpiresAt)

	buf = binary.BigEndian.AppendUint64(buf, uint64(ds.TimeoutSeconds))
	buf = binary.BigEndian.AppendUint64(buf, uint64(ds.ConnectTimeoutSeconds))
	buf = appendString(buf, ds.CABundle)
	buf = appendBool(buf, ds.AllowLoopback)
	buf = appendBool(buf, ds.AllowPrivateNetworks)
	buf = appendTime(buf, ds.UpdatedAt)

	// The buffer holds secrets, so it is cleared before it is pooled.
	defer clear(buf)
	state.buf = buf

	state.mac.Reset()
	state.mac.Write(buf)
	return state.mac.Sum(nil)
}

// appendString appends s with its length first, so no two sequences of
// settings give the same bytes.
func appendString(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
	return append(buf, s...)
}

func appendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, 1)
	}
	return append(buf, 0)
}

// appendTime appends the instant of t. The zero time gives its own bytes.
func appendTime(buf []byte, t time.Time) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(t.Unix()))
	return binary.BigEndian.AppendUint32(buf, uint32(t.Nanosecond()))
}
