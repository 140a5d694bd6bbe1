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
	// macs holds HMAC states keyed with a random key, reused because every
	// request fingerprints its datasource.
	macs sync.Pool
}

func newFingerprinter(key []byte) *fingerprinter {
	f := &fingerprinter{}
	f.macs.New = func() any { return hmac.New(sha256.New, key) }
	return f
}

// sum returns the HMAC of every setting an authorizer is built from, and of
// UpdatedAt, so that saving a datasource drops a remembered configuration
// error even when the fix was made at the authorization server. Every field
// of fieldlink.Auth counts.
func (f *fingerprinter) sum(ds fieldlink.Datasource) []byte {
	a := ds.Auth
	buf := make([]byte, 0, 1024)

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
	for _, name := range slices.Sorted(maps.Keys(a.TokenParams)) {
		buf = appendString(buf, name)
		buf = appendString(buf, a.TokenParams[name])
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

	mac := f.macs.Get().(hash.Hash)
	defer f.macs.Put(mac)
	mac.Reset()
	mac.Write(buf)
	return mac.Sum(nil)
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
