package outbound_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// clientCertificate is a self-signed certificate for TLS client
// authentication and its private key, both PEM.
type clientCertificate struct {
	certPEM, keyPEM string
	cert            *x509.Certificate
}

func newClientCertificate(t *testing.T, commonName string) clientCertificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return clientCertificate{
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		cert:    cert,
	}
}

func certificatePEM(cert *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
}

// quietTLSServer starts an httptest TLS server whose log leaves out the
// handshakes that tests make fail on purpose.
func quietTLSServer(t *testing.T, handler http.HandlerFunc, configure func(*httptest.Server)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if configure != nil {
		configure(srv)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func getWith(t *testing.T, client *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	resp, err := client.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestForCABundle(t *testing.T) {
	srv := quietTLSServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }, nil)
	c := outbound.New(outbound.Options{})

	tests := []struct {
		name      string
		caBundle  string
		wantError bool
	}{
		{name: "server certificate trusted", caBundle: certificatePEM(srv.Certificate())},
		{name: "system roots", caBundle: "", wantError: true},
		{name: "other certificate", caBundle: newClientCertificate(t, "other").certPEM, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := c.For(fieldlink.Datasource{ID: "ds-1", AllowLoopback: true, CABundle: tt.caBundle})
			if err != nil {
				t.Fatalf("For: %v", err)
			}

			resp, err := getWith(t, client, srv.URL)

			if !tt.wantError {
				if err != nil {
					t.Fatalf("GET: %v", err)
				}
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status = %d, want 200", resp.StatusCode)
				}
				return
			}
			var unknownAuthority x509.UnknownAuthorityError
			if !errors.As(err, &unknownAuthority) {
				t.Errorf("GET error = %v, want x509.UnknownAuthorityError", err)
			}
		})
	}
}

func TestForRejectsInvalidTLSSettings(t *testing.T) {
	pair := newClientCertificate(t, "fieldlink")
	other := newClientCertificate(t, "other")
	tests := []struct {
		name       string
		ds         fieldlink.Datasource
		wantPrefix string
	}{
		{
			name:       "ca bundle without certificate",
			ds:         fieldlink.Datasource{CABundle: "not a certificate"},
			wantPrefix: "caBundle contains no certificate: ",
		},
		{
			name:       "ca bundle with only a key",
			ds:         fieldlink.Datasource{CABundle: pair.keyPEM},
			wantPrefix: "caBundle contains no certificate: ",
		},
		{
			name:       "ca bundle with broken certificate",
			ds:         fieldlink.Datasource{CABundle: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
			wantPrefix: "caBundle certificate 1 does not parse: ",
		},
		{
			name:       "tls key without certificate",
			ds:         fieldlink.Datasource{Auth: fieldlink.Auth{TLSClientKey: pair.keyPEM}},
			wantPrefix: "auth.tlsClientCertificate is missing while auth.tlsClientKey is set",
		},
		{
			name:       "tls certificate without key",
			ds:         fieldlink.Datasource{Auth: fieldlink.Auth{TLSClientCertificate: pair.certPEM}},
			wantPrefix: "auth.tlsClientKey is missing while auth.tlsClientCertificate is set",
		},
		{
			name:       "tls key of another certificate",
			ds:         fieldlink.Datasource{Auth: fieldlink.Auth{TLSClientCertificate: pair.certPEM, TLSClientKey: other.keyPEM}},
			wantPrefix: "auth.tlsClientCertificate and auth.tlsClientKey are not a valid key pair: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := outbound.New(outbound.Options{}).For(tt.ds)

			var fieldErr *fieldlink.Error
			if !errors.As(err, &fieldErr) {
				t.Fatalf("For error = %v, want *fieldlink.Error", err)
			}
			if fieldErr.Code != fieldlink.EInvalid {
				t.Errorf("code = %q, want %q", fieldErr.Code, fieldlink.EInvalid)
			}
			if !strings.HasPrefix(fieldErr.Message, tt.wantPrefix) {
				t.Errorf("message = %q, want prefix %q", fieldErr.Message, tt.wantPrefix)
			}
			if strings.Contains(fieldErr.Message, "PRIVATE KEY") {
				t.Errorf("message %q contains key material", fieldErr.Message)
			}
		})
	}
}

func TestForMutualTLS(t *testing.T) {
	clientCert := newClientCertificate(t, "fieldlink-client")
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(clientCert.cert)
	srv := quietTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}, func(srv *httptest.Server) {
		srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	})
	c := outbound.New(outbound.Options{AllowLoopback: true})
	ds := fieldlink.Datasource{ID: "ds-1", CABundle: certificatePEM(srv.Certificate())}

	withoutCert, err := c.For(ds)
	if err != nil {
		t.Fatalf("For without certificate: %v", err)
	}
	if _, err := getWith(t, withoutCert, srv.URL); err == nil {
		t.Error("GET without a client certificate succeeded, want the server to reject the handshake")
	}

	ds.Auth.TLSClientCertificate = clientCert.certPEM
	ds.Auth.TLSClientKey = clientCert.keyPEM
	withCert, err := c.For(ds)
	if err != nil {
		t.Fatalf("For with certificate: %v", err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, err := withCert.Do(req)
	if err != nil {
		t.Fatalf("GET with a client certificate: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "fieldlink-client" {
		t.Errorf("server saw client certificate %q, want fieldlink-client", body)
	}
}

// silentListener accepts TCP connections and never sends a byte, so a TLS
// handshake with it waits until the client gives up.
func silentListener(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		listener.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	})
	return listener.Addr().String()
}

func TestForConnectTimeout(t *testing.T) {
	addr := silentListener(t)
	c := outbound.New(outbound.Options{AllowLoopback: true})
	client, err := c.For(fieldlink.Datasource{ID: "ds-1", ConnectTimeoutSeconds: 1})
	if err != nil {
		t.Fatalf("For: %v", err)
	}

	// The request context has no deadline, so only the connect timeout can
	// end the handshake.
	_, err = getWith(t, client, "https://"+addr+"/")

	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("GET error = %v, want a timeout", err)
	}
	if !strings.Contains(err.Error(), "TLS handshake timeout") {
		t.Errorf("GET error = %v, want the TLS handshake timeout", err)
	}
}

func TestForAllowances(t *testing.T) {
	srv := okServer(t)
	tests := []struct {
		name            string
		serverLoopback  bool
		datasourceAllow bool
		wantBlocked     bool
	}{
		{name: "neither allows", wantBlocked: true},
		{name: "datasource allows", datasourceAllow: true},
		{name: "server allows", serverLoopback: true},
		{name: "both allow", serverLoopback: true, datasourceAllow: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := outbound.New(outbound.Options{AllowLoopback: tt.serverLoopback})
			client, err := c.For(fieldlink.Datasource{ID: "ds-1", AllowLoopback: tt.datasourceAllow})
			if err != nil {
				t.Fatalf("For: %v", err)
			}

			_, err = getWith(t, client, srv.URL)

			var blocked *outbound.AddressError
			if !tt.wantBlocked {
				if err != nil {
					t.Errorf("GET: %v, want success", err)
				}
				return
			}
			if !errors.As(err, &blocked) {
				t.Fatalf("GET error = %v, want *AddressError", err)
			}
			if blocked.DatasourceSetting != outbound.DatasourceSettingAllowLoopback {
				t.Errorf("DatasourceSetting = %q, want %q", blocked.DatasourceSetting, outbound.DatasourceSettingAllowLoopback)
			}
			if !strings.Contains(err.Error(), "allowLoopback") || !strings.Contains(err.Error(), "--allow-loopback") {
				t.Errorf("error %q does not name both allowances", err)
			}
		})
	}
}

func TestForPrivateAllowanceIsSeparate(t *testing.T) {
	srv := okServer(t)
	c := outbound.New(outbound.Options{})
	client, err := c.For(fieldlink.Datasource{ID: "ds-1", AllowPrivateNetworks: true})
	if err != nil {
		t.Fatalf("For: %v", err)
	}

	_, err = getWith(t, client, srv.URL)

	var blocked *outbound.AddressError
	if !errors.As(err, &blocked) || blocked.Reason != "loopback" {
		t.Errorf("GET error = %v, want loopback still blocked", err)
	}
}

func TestForReusesClientAndConnections(t *testing.T) {
	var newConns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := outbound.New(outbound.Options{})
	ds := fieldlink.Datasource{ID: "ds-1", Name: "CMDB", AllowLoopback: true}

	first, err := c.For(ds)
	if err != nil {
		t.Fatalf("For: %v", err)
	}
	if _, err := getWith(t, first, srv.URL); err != nil {
		t.Fatalf("first GET: %v", err)
	}
	renamed := ds
	renamed.ID, renamed.Name = "ds-2", "Other CMDB"
	second, err := c.For(renamed)
	if err != nil {
		t.Fatalf("For: %v", err)
	}
	if _, err := getWith(t, second, srv.URL); err != nil {
		t.Fatalf("second GET: %v", err)
	}

	if first != second {
		t.Error("For returned two clients for equal connection settings, want one")
	}
	if got := newConns.Load(); got != 1 {
		t.Errorf("server saw %d connections, want 1 reused", got)
	}

	changed := ds
	changed.ConnectTimeoutSeconds = 3
	third, err := c.For(changed)
	if err != nil {
		t.Fatalf("For: %v", err)
	}
	if third == first {
		t.Error("For returned the same client after the connect timeout changed, want a new one")
	}
}

func TestForEvictsLeastRecentlyUsed(t *testing.T) {
	c := outbound.New(outbound.Options{})
	clientFor := func(seconds int) *http.Client {
		t.Helper()
		client, err := c.For(fieldlink.Datasource{ConnectTimeoutSeconds: seconds})
		if err != nil {
			t.Fatalf("For: %v", err)
		}
		return client
	}
	first := clientFor(1)
	second := clientFor(2)

	// Use the first again, then add clients until the cache holds one
	// more than its bound of 64.
	clientFor(1)
	for seconds := 3; seconds <= 65; seconds++ {
		clientFor(seconds)
	}

	if clientFor(1) != first {
		t.Error("a recently used client was evicted, want it kept")
	}
	if clientFor(2) == second {
		t.Error("the least recently used client is still cached, want it evicted")
	}
}

func TestResolveHost(t *testing.T) {
	tests := []struct {
		name        string
		host        string
		ds          fieldlink.Datasource
		wantAddr    netip.Addr
		wantBlocked bool
	}{
		{name: "literal allowed", host: "127.0.0.1", ds: fieldlink.Datasource{AllowLoopback: true}, wantAddr: netip.MustParseAddr("127.0.0.1")},
		{name: "literal blocked", host: "127.0.0.1", wantAddr: netip.MustParseAddr("127.0.0.1"), wantBlocked: true},
		{name: "ipv6 literal blocked", host: "::1", wantAddr: netip.MustParseAddr("::1"), wantBlocked: true},
		{name: "metadata blocked despite allowances", host: "169.254.169.254", ds: fieldlink.Datasource{AllowLoopback: true, AllowPrivateNetworks: true}, wantAddr: netip.MustParseAddr("169.254.169.254"), wantBlocked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addrs, err := outbound.New(outbound.Options{}).ResolveHost(t.Context(), tt.ds, tt.host)

			if len(addrs) != 1 || addrs[0] != tt.wantAddr {
				t.Errorf("addresses = %v, want [%s]", addrs, tt.wantAddr)
			}
			var blocked *outbound.AddressError
			if tt.wantBlocked != errors.As(err, &blocked) {
				t.Fatalf("error = %v, want blocked %v", err, tt.wantBlocked)
			}
			if tt.wantBlocked && blocked.Host != tt.host {
				t.Errorf("Host = %q, want %q", blocked.Host, tt.host)
			}
		})
	}
}

func TestResolveHostName(t *testing.T) {
	c := outbound.New(outbound.Options{})

	addrs, err := c.ResolveHost(t.Context(), fieldlink.Datasource{}, "localhost")

	var blocked *outbound.AddressError
	if !errors.As(err, &blocked) {
		t.Fatalf("error = %v, want *AddressError for localhost", err)
	}
	if blocked.Host != "localhost" || !blocked.Addr.IsLoopback() {
		t.Errorf("blocked = %+v, want localhost at a loopback address", blocked)
	}
	if len(addrs) == 0 {
		t.Error("no addresses returned")
	}
}
