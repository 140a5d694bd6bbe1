package outbound

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestGuardCheckRanges(t *testing.T) {
	tests := []struct {
		addr          string
		allowLoopback bool
		allowPrivate  bool
		wantReason    string // empty when the address is permitted
	}{
		{addr: "93.184.216.34"},
		{addr: "2606:4700::1111"},
		{addr: "127.0.0.1", wantReason: "loopback"},
		{addr: "127.0.0.1", allowLoopback: true},
		{addr: "127.8.9.10", wantReason: "loopback"},
		{addr: "::1", wantReason: "loopback"},
		{addr: "::1", allowLoopback: true},
		{addr: "::ffff:127.0.0.1", wantReason: "loopback"},
		{addr: "10.1.2.3", wantReason: "private network"},
		{addr: "10.1.2.3", allowPrivate: true},
		{addr: "172.16.0.1", wantReason: "private network"},
		{addr: "172.32.0.1"},
		{addr: "192.168.1.1", wantReason: "private network"},
		{addr: "100.64.0.1", wantReason: "private network"},
		{addr: "fd12:3456::1", wantReason: "private network"},
		{addr: "fd12:3456::1", allowPrivate: true},
		{addr: "10.1.2.3", allowLoopback: true, wantReason: "private network"},
		{addr: "127.0.0.1", allowPrivate: true, wantReason: "loopback"},
		{addr: "169.254.169.254", allowLoopback: true, allowPrivate: true, wantReason: "link-local, the range of cloud metadata services"},
		{addr: "::ffff:169.254.169.254", allowLoopback: true, allowPrivate: true, wantReason: "link-local, the range of cloud metadata services"},
		{addr: "64:ff9b::a9fe:a9fe", allowLoopback: true, allowPrivate: true, wantReason: "link-local, the range of cloud metadata services"},
		{addr: "fe80::1", allowLoopback: true, allowPrivate: true, wantReason: "link-local, the range of cloud metadata services"},
		{addr: "fd00:ec2::254", allowLoopback: true, allowPrivate: true, wantReason: "a cloud metadata address"},
		{addr: "100.100.100.200", allowLoopback: true, allowPrivate: true, wantReason: "a cloud metadata address"},
		{addr: "168.63.129.16", allowLoopback: true, allowPrivate: true, wantReason: "a cloud metadata address"},
		{addr: "0.0.0.0", allowLoopback: true, allowPrivate: true, wantReason: "unspecified"},
		{addr: "0.1.2.3", allowLoopback: true, allowPrivate: true, wantReason: "unspecified"},
		{addr: "::", allowLoopback: true, allowPrivate: true, wantReason: "unspecified"},
		{addr: "224.0.0.1", allowLoopback: true, allowPrivate: true, wantReason: "multicast"},
		{addr: "ff02::1", allowLoopback: true, allowPrivate: true, wantReason: "multicast"},
		{addr: "255.255.255.255", allowLoopback: true, allowPrivate: true, wantReason: "reserved"},
	}
	for _, tt := range tests {
		g := guard{allowLoopback: tt.allowLoopback, allowPrivate: tt.allowPrivate}
		got := g.check(netip.MustParseAddr(tt.addr))

		gotReason := ""
		if got != nil {
			gotReason = got.Reason
		}
		if gotReason != tt.wantReason {
			t.Errorf("check(%s) with loopback=%v private=%v: reason %q, want %q",
				tt.addr, tt.allowLoopback, tt.allowPrivate, gotReason, tt.wantReason)
		}
	}
}

func TestAddressErrorMessage(t *testing.T) {
	tests := []struct {
		err  *AddressError
		want string
	}{
		{
			err:  &AddressError{Host: "api.internal", Addr: netip.MustParseAddr("127.0.0.1"), Reason: "loopback", Setting: SettingAllowLoopback},
			want: "connect to api.internal: blocked address 127.0.0.1 (loopback): start fieldlink with --allow-loopback to allow it",
		},
		{
			err:  &AddressError{Host: "10.0.0.5", Addr: netip.MustParseAddr("10.0.0.5"), Reason: "private network", Setting: SettingAllowPrivate},
			want: "connect to 10.0.0.5: blocked address 10.0.0.5 (private network): start fieldlink with --allow-private-networks to allow it",
		},
		{
			err:  &AddressError{Host: "api.internal", Addr: netip.MustParseAddr("127.0.0.1"), Reason: "loopback", Setting: SettingAllowLoopback, DatasourceSetting: DatasourceSettingAllowLoopback},
			want: "connect to api.internal: blocked address 127.0.0.1 (loopback): set the datasource's allowLoopback or start fieldlink with --allow-loopback to allow it",
		},
		{
			err:  &AddressError{Host: "metadata.example", Addr: netip.MustParseAddr("169.254.169.254"), Reason: "link-local"},
			want: "connect to metadata.example: blocked address 169.254.169.254 (link-local): fieldlink never connects to it",
		},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestNewIgnoresProxyFromEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")

	c := New(Options{})

	limited, ok := c.HTTPClient().Transport.(*limitTransport)
	if !ok {
		t.Fatalf("transport is %T, want *limitTransport", c.HTTPClient().Transport)
	}
	transport, ok := limited.base.(*http.Transport)
	if !ok {
		t.Fatalf("base transport is %T, want *http.Transport", limited.base)
	}
	if transport.Proxy != nil {
		t.Error("transport has a Proxy function, want none")
	}
}
