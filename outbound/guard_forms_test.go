package outbound

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// The tests in this file send requests through the package's own dial-time
// check (control), its error enrichment (dial) and its redirect policy
// (checkRedirect), with a dialer that connects only to loopback. When the
// guard lets a non-loopback address through, that dialer records the attempt
// and fails it, so no test ever reaches an address outside loopback.
//
// NOTE: Client has no resolver or dialer hook, so these tests build their
// dialer around control and dial rather than using the transport of New.

// errNotLoopback is returned by the test dialer for an address the guard let
// through that lies outside loopback.
var errNotLoopback = errors.New("test dialer connects only to loopback")

// dialLog records the addresses the guard let through to the test dialer.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (l *dialLog) add(address string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs = append(l.addrs, address)
}

func (l *dialLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.addrs...)
}

// guardedClient returns an HTTP client that dials through g as the clients of
// New and For do, resolves names with resolver (nil for the system's), and
// connects only to loopback addresses.
func guardedClient(t *testing.T, g guard, resolver *net.Resolver) (*http.Client, *dialLog) {
	t.Helper()
	log := &dialLog{}
	c := New(Options{})
	dialer := &net.Dialer{
		Resolver: resolver,
		Control: func(network, address string, _ syscall.RawConn) error {
			if err := control(g, address); err != nil {
				return err
			}

			log.add(address)
			addrPort, err := netip.ParseAddrPort(address)
			if err != nil || !addrPort.Addr().Unmap().IsLoopback() {
				return fmt.Errorf("%w: %s", errNotLoopback, address)
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			return c.dial(ctx, dialer, network, address)
		},
		DisableKeepAlives: true,
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, CheckRedirect: checkRedirect}, log
}

// fetch sends a GET for url with client and returns the body.
func fetch(t *testing.T, client *http.Client, url string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("new request for %s: %v", url, err)
	}

	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// countingServer starts an HTTP server on network and address, which must be
// on loopback, and counts the requests it receives.
func countingServer(t *testing.T, network, address string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatalf("listen on %s: %v", address, err)
	}

	var requests atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprint(w, "ok")
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &requests
}

// wantAddressError fails t unless err is an *AddressError for host at addr
// whose message names both and the allowance setting (none when setting is
// empty).
func wantAddressError(t *testing.T, err error, host, addr, setting string) {
	t.Helper()
	var blocked *AddressError
	if !errors.As(err, &blocked) {
		t.Fatalf("error = %v, want *AddressError", err)
	}

	if blocked.Host != host {
		t.Errorf("Host = %q, want %q", blocked.Host, host)
	}
	if blocked.Addr.String() != addr {
		t.Errorf("Addr = %s, want %s", blocked.Addr, addr)
	}
	if blocked.Setting != setting {
		t.Errorf("Setting = %q, want %q", blocked.Setting, setting)
	}

	msg := err.Error()
	if !strings.Contains(msg, host) || !strings.Contains(msg, addr) {
		t.Errorf("error %q does not name host %s and address %s", msg, host, addr)
	}
	switch setting {
	case "":
		if !strings.Contains(msg, "never connects") {
			t.Errorf("error %q does not say the address is never allowed", msg)
		}
	case SettingAllowLoopback:
		if !strings.Contains(msg, SettingAllowLoopback) || !strings.Contains(msg, DatasourceSettingAllowLoopback) {
			t.Errorf("error %q does not name both loopback allowances", msg)
		}
	case SettingAllowPrivate:
		if !strings.Contains(msg, SettingAllowPrivate) || !strings.Contains(msg, DatasourceSettingAllowPrivate) {
			t.Errorf("error %q does not name both private network allowances", msg)
		}
	}
}

func TestGuardRefusesLinkLocalAndMetadataForms(t *testing.T) {
	tests := []struct {
		url  string
		host string
		addr string
	}{
		{url: "http://169.254.169.254/latest/meta-data/", host: "169.254.169.254", addr: "169.254.169.254"},
		{url: "http://[fe80::1]/", host: "fe80::1", addr: "fe80::1"},
		{url: "http://[::ffff:169.254.169.254]/", host: "::ffff:169.254.169.254", addr: "169.254.169.254"},
		{url: "http://[::ffff:a9fe:a9fe]/", host: "::ffff:a9fe:a9fe", addr: "169.254.169.254"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			client, log := guardedClient(t, guard{allowLoopback: true, allowPrivate: true}, nil)

			_, err := fetch(t, client, tt.url)

			wantAddressError(t, err, tt.host, tt.addr, "")
			if got := log.list(); len(got) != 0 {
				t.Errorf("guard let through %v, want no dial", got)
			}
		})
	}
}

func TestGuardLoopbackForms(t *testing.T) {
	v4, _ := countingServer(t, "tcp4", "127.0.0.1:0")
	other, _ := countingServer(t, "tcp4", "127.1.2.3:0")
	v6, _ := countingServer(t, "tcp6", "[::1]:0")
	_, v4Port, _ := net.SplitHostPort(v4.Listener.Addr().String())

	tests := []struct {
		name string
		url  string
		host string
		addr string
	}{
		{name: "127.0.0.1", url: v4.URL, host: "127.0.0.1", addr: "127.0.0.1"},
		{name: "127.1.2.3", url: other.URL, host: "127.1.2.3", addr: "127.1.2.3"},
		{name: "::1", url: v6.URL, host: "::1", addr: "::1"},
		{name: "localhost", url: "http://localhost:" + v4Port, host: "localhost", addr: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" refused", func(t *testing.T) {
			client, log := guardedClient(t, guard{allowPrivate: true}, nil)

			_, err := fetch(t, client, tt.url)

			wantAddressError(t, err, tt.host, tt.addr, SettingAllowLoopback)
			if got := log.list(); len(got) != 0 {
				t.Errorf("guard let through %v, want no dial", got)
			}
		})

		t.Run(tt.name+" allowed", func(t *testing.T) {
			client, _ := guardedClient(t, guard{allowLoopback: true}, nil)

			body, err := fetch(t, client, tt.url)

			if err != nil {
				t.Fatalf("GET %s: %v, want success with the loopback allowance", tt.url, err)
			}
			if body != "ok" {
				t.Errorf("body = %q, want ok", body)
			}
		})
	}
}

func TestGuardPrivateForms(t *testing.T) {
	tests := []struct {
		url  string
		host string
	}{
		{url: "http://10.0.0.1/", host: "10.0.0.1"},
		{url: "http://172.16.0.1/", host: "172.16.0.1"},
		{url: "http://192.168.1.1/", host: "192.168.1.1"},
		{url: "http://[fc00::1]/", host: "fc00::1"},
	}
	for _, tt := range tests {
		t.Run(tt.host+" refused", func(t *testing.T) {
			client, log := guardedClient(t, guard{allowLoopback: true}, nil)

			_, err := fetch(t, client, tt.url)

			wantAddressError(t, err, tt.host, tt.host, SettingAllowPrivate)
			if got := log.list(); len(got) != 0 {
				t.Errorf("guard let through %v, want no dial", got)
			}
		})

		// With the allowance the guard lets the address through, and the
		// test dialer stops the connection.
		t.Run(tt.host+" allowed", func(t *testing.T) {
			client, log := guardedClient(t, guard{allowPrivate: true}, nil)

			_, err := fetch(t, client, tt.url)

			if !errors.Is(err, errNotLoopback) {
				t.Errorf("error = %v, want the guard to let the address through", err)
			}
			if got := log.list(); len(got) != 1 || !strings.Contains(got[0], tt.host) {
				t.Errorf("guard let through %v, want %s", got, tt.host)
			}
		})
	}
}

// dnsServer is a DNS server over UDP on loopback. It responds to an A query
// for name with the address that answer returns for the count of A queries
// so far, and to every other query with no such name. It records the names
// queried.
type dnsServer struct {
	conn   net.PacketConn
	name   string
	answer func(n int) netip.Addr

	mu      sync.Mutex
	queried []string
	aCount  int
	stopped chan struct{}
}

// startDNSServer starts a dnsServer on 127.0.0.1.
func startDNSServer(t *testing.T, name string, answer func(n int) netip.Addr) *dnsServer {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for DNS: %v", err)
	}

	s := &dnsServer{conn: conn, name: name, answer: answer, stopped: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() {
		conn.Close()
		<-s.stopped
	})
	return s
}

// resolver returns a Go resolver that sends every query to s.
func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp4", s.conn.LocalAddr().String())
		},
	}
}

func (s *dnsServer) queriedNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queried...)
}

func (s *dnsServer) serve() {
	defer close(s.stopped)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := s.reply(buf[:n]); reply != nil {
			s.conn.WriteTo(reply, from)
		}
	}
}

// reply builds the response to one query, or nil for a malformed one.
func (s *dnsServer) reply(query []byte) []byte {
	if len(query) < 12 {
		return nil
	}

	// The question: labels up to a zero byte, then type and class.
	end := 12
	var labels []string
	for end < len(query) && query[end] != 0 {
		size := int(query[end])
		if end+1+size > len(query) {
			return nil
		}
		labels = append(labels, string(query[end+1:end+1+size]))
		end += 1 + size
	}
	end += 5
	if end > len(query) {
		return nil
	}
	name := strings.ToLower(strings.Join(labels, "."))
	qtype := binary.BigEndian.Uint16(query[end-4 : end-2])

	s.mu.Lock()
	s.queried = append(s.queried, name)
	var addr netip.Addr
	if name == s.name && qtype == 1 {
		s.aCount++
		addr = s.answer(s.aCount)
	}
	s.mu.Unlock()

	reply := append([]byte(nil), query[:end]...)
	flags := uint16(0x8180) // a response, recursion desired and available
	if name != s.name {
		flags |= 3 // no such name
	}
	binary.BigEndian.PutUint16(reply[2:], flags)
	binary.BigEndian.PutUint16(reply[4:], 1)
	binary.BigEndian.PutUint16(reply[6:], 0)
	binary.BigEndian.PutUint16(reply[8:], 0)
	binary.BigEndian.PutUint16(reply[10:], 0)
	if !addr.IsValid() {
		return reply
	}

	binary.BigEndian.PutUint16(reply[6:], 1)
	a := addr.As4()
	// A pointer to the question's name, type A, class IN, a TTL of 0 and
	// the four address bytes.
	reply = append(reply, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4)
	return append(reply, a[:]...)
}

func TestGuardNumericIPv4Forms(t *testing.T) {
	srv, requests := countingServer(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := startDNSServer(t, "no-name-is-served.test", func(int) netip.Addr { return netip.Addr{} })

	tests := []struct {
		host  string
		guard guard
	}{
		{host: "2130706433"},
		{host: "0177.0.0.1"},
		{host: "0x7f.0.0.1"},
		{host: "2852039166", guard: guard{allowLoopback: true, allowPrivate: true}},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			client, log := guardedClient(t, tt.guard, dns.resolver())

			_, err := fetch(t, client, "http://"+net.JoinHostPort(tt.host, port)+"/")

			var blocked *AddressError
			var notFound *net.DNSError
			if !errors.As(err, &blocked) && !errors.As(err, &notFound) {
				t.Errorf("error = %v, want an *AddressError or a failed lookup", err)
			}
			if got := log.list(); len(got) != 0 {
				t.Errorf("guard let through %v, want no dial", got)
			}
		})
	}

	if n := requests.Load(); n != 0 {
		t.Errorf("loopback server received %d requests, want none", n)
	}
	// Only the form with a letter is a valid host name. The all-numeric
	// forms fail before any query.
	for _, name := range dns.queriedNames() {
		if name != "0x7f.0.0.1" {
			t.Errorf("DNS server queried for %q, want only 0x7f.0.0.1", name)
		}
	}
	if len(dns.queriedNames()) == 0 {
		t.Error("DNS server was not queried for 0x7f.0.0.1, want the lookup to go through the test resolver")
	}
}

func TestGuardChecksTheDialedAnswer(t *testing.T) {
	srv, requests := countingServer(t, "tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// The first answer is the loopback server, every later one the metadata
	// address.
	dns := startDNSServer(t, "rebind.test", func(n int) netip.Addr {
		if n == 1 {
			return netip.MustParseAddr("127.0.0.1")
		}
		return netip.MustParseAddr("169.254.169.254")
	})
	client, log := guardedClient(t, guard{allowLoopback: true}, dns.resolver())
	url := "http://" + net.JoinHostPort("rebind.test", port) + "/"

	body, err := fetch(t, client, url)
	if err != nil || body != "ok" {
		t.Fatalf("first GET %s = %q, %v, want ok from the loopback server", url, body, err)
	}

	_, err = fetch(t, client, url)

	wantAddressError(t, err, "rebind.test", "169.254.169.254", "")
	if n := requests.Load(); n != 1 {
		t.Errorf("loopback server received %d requests, want only the first", n)
	}
	if got := log.list(); len(got) != 1 {
		t.Errorf("guard let through %v, want only the first answer", got)
	}
}

func TestGuardRefusesRedirectFromAllowedDatasource(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/", http.StatusFound))
	t.Cleanup(srv.Close)
	c := New(Options{})
	settings, err := c.settingsFor(fieldlink.Datasource{ID: "ds-1", AllowLoopback: true})
	if err != nil {
		t.Fatalf("settings for the datasource: %v", err)
	}
	client, log := guardedClient(t, settings.guard, nil)

	_, err = fetch(t, client, srv.URL)

	wantAddressError(t, err, "169.254.169.254", "169.254.169.254", "")
	got := log.list()
	if len(got) != 1 || got[0] != srv.Listener.Addr().String() {
		t.Errorf("guard let through %v, want only the datasource's server %s", got, srv.Listener.Addr())
	}
}
