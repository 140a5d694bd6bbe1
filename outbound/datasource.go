package outbound

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"hash"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/fieldlink/fieldlink"
)

// maxCachedClients bounds the per-datasource clients kept for reuse. Each
// distinct set of connection settings, including those of drafts under Test
// connection, takes one entry, and the least recently used one goes first.
const maxCachedClients = 64

// cachedClient is a per-datasource client and when it was last handed out.
type cachedClient struct {
	client  *http.Client
	lastUse uint64
}

// For returns the HTTP client for requests to ds's API and token endpoint.
// It applies ds's connect timeout, its CA bundle in place of the system
// roots, its TLS client certificate for mutual TLS, and the address
// allowances of both the server and ds: a range is allowed when either
// allows it. Redirects and response sizes are checked as by Do.
//
// Datasources with equal connection settings share one client, so
// connections are reused across requests. Invalid settings return a
// *fieldlink.Error with code EInvalid that names the field.
func (c *Client) For(ds fieldlink.Datasource) (*http.Client, error) {
	key := c.fingerprint(ds)

	c.mu.Lock()
	if cached, ok := c.clients[key]; ok {
		c.uses++
		cached.lastUse = c.uses
		c.mu.Unlock()
		return cached.client, nil
	}
	c.mu.Unlock()

	settings, err := c.settingsFor(ds)
	if err != nil {
		return nil, err
	}
	client := c.newHTTPClient(settings)

	c.mu.Lock()
	defer c.mu.Unlock()

	// Another caller may have built a client for the same settings
	// meanwhile. Keeping the first one keeps its connections.
	c.uses++
	if cached, ok := c.clients[key]; ok {
		cached.lastUse = c.uses
		return cached.client, nil
	}
	c.clients[key] = &cachedClient{client: client, lastUse: c.uses}
	if len(c.clients) > maxCachedClients {
		c.evictLeastRecentlyUsed()
	}
	c.logger.Debug("datasource HTTP client created", slog.String("datasource", ds.ID))
	return client, nil
}

// evictLeastRecentlyUsed drops the client used longest ago and closes its
// idle connections. Requests still using it finish normally. The caller
// holds c.mu.
func (c *Client) evictLeastRecentlyUsed() {
	var oldestKey string
	var oldest *cachedClient
	for key, cached := range c.clients {
		if oldest == nil || cached.lastUse < oldest.lastUse {
			oldestKey, oldest = key, cached
		}
	}
	delete(c.clients, oldestKey)
	oldest.client.CloseIdleConnections()
}

// settingsFor builds the transport settings of ds.
func (c *Client) settingsFor(ds fieldlink.Datasource) (transportSettings, error) {
	settings := transportSettings{
		guard: guard{
			allowLoopback: c.guard.allowLoopback || ds.AllowLoopback,
			allowPrivate:  c.guard.allowPrivate || ds.AllowPrivateNetworks,
		},
		connectTimeout: ds.ConnectTimeout(),
	}

	if ds.CABundle == "" && ds.Auth.TLSClientCertificate == "" && ds.Auth.TLSClientKey == "" {
		return settings, nil
	}

	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if ds.CABundle != "" {
		roots, err := CertPool(ds.CABundle)
		if err != nil {
			return transportSettings{}, err
		}
		config.RootCAs = roots
	}
	if ds.Auth.TLSClientCertificate != "" || ds.Auth.TLSClientKey != "" {
		pair, err := TLSClientCertificate(ds.Auth)
		if err != nil {
			return transportSettings{}, err
		}
		config.Certificates = []tls.Certificate{pair}
	}
	settings.tlsConfig = config
	return settings, nil
}

// CertPool parses caBundle, the PEM text of a datasource's CABundle, into a
// certificate pool. It returns a *fieldlink.Error naming the field when the
// text holds no certificate or a certificate does not parse.
func CertPool(caBundle string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	rest := []byte(caBundle)
	count := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}

		count++
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "caBundle certificate %d does not parse: %v: paste the CA certificates again in PEM form", count, err)
		}
		pool.AddCert(cert)
	}

	if count == 0 {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "caBundle contains no certificate: paste the CA certificates in PEM form, each starting with -----BEGIN CERTIFICATE-----")
	}
	return pool, nil
}

// TLSClientCertificate parses the TLS client certificate and key of a for
// mutual TLS. It returns a *fieldlink.Error naming the fields, never the key,
// when one is missing or they do not form a key pair.
func TLSClientCertificate(a fieldlink.Auth) (tls.Certificate, error) {
	switch {
	case a.TLSClientCertificate == "":
		return tls.Certificate{}, fieldlink.Errorf(fieldlink.EInvalid, "auth.tlsClientCertificate is missing while auth.tlsClientKey is set: paste the client certificate in PEM form, or clear both for no mutual TLS")
	case a.TLSClientKey == "":
		return tls.Certificate{}, fieldlink.Errorf(fieldlink.EInvalid, "auth.tlsClientKey is missing while auth.tlsClientCertificate is set: paste the certificate's private key in PEM form, or clear both for no mutual TLS")
	}

	// The errors of X509KeyPair name PEM block types and key types, never
	// key material.
	pair, err := tls.X509KeyPair([]byte(a.TLSClientCertificate), []byte(a.TLSClientKey))
	if err != nil {
		return tls.Certificate{}, fieldlink.Errorf(fieldlink.EInvalid, "auth.tlsClientCertificate and auth.tlsClientKey are not a valid key pair: %v: paste the PEM certificate and its unencrypted private key", err)
	}
	return pair, nil
}

// fingerprint returns an HMAC over every setting a per-datasource client is
// built from, with the allowances already combined with the server's. It
// runs on every request, so it writes the settings into one buffer and
// reuses HMAC states.
func (c *Client) fingerprint(ds fieldlink.Datasource) string {
	state := c.fingerprints.Get().(*fingerprintState)
	defer c.fingerprints.Put(state)

	buf := state.buf[:0]
	buf = binary.BigEndian.AppendUint64(buf, uint64(ds.ConnectTimeout()))
	buf = appendSetting(buf, ds.CABundle)
	buf = appendSetting(buf, ds.Auth.TLSClientCertificate)
	buf = appendSetting(buf, ds.Auth.TLSClientKey)
	buf = strconv.AppendBool(buf, c.guard.allowLoopback || ds.AllowLoopback)
	buf = strconv.AppendBool(buf, c.guard.allowPrivate || ds.AllowPrivateNetworks)

	// The buffer holds the TLS client key, so it is cleared before it is
	// pooled.
	defer clear(buf)
	state.buf = buf

	state.mac.Reset()
	state.mac.Write(buf)
	return string(state.mac.Sum(state.sum[:0]))
}

// fingerprintState is an HMAC keyed with the client's random key, and
// buffers for the settings and the sum.
type fingerprintState struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// appendSetting appends s with its length first, so no two sequences of
// settings give the same bytes.
func appendSetting(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
	return append(buf, s...)
}
