package outbound

import (
	"fmt"
	"net/netip"
)

// Settings that allow blocked address ranges for every datasource, named as
// the fieldlink command line names them.
const (
	SettingAllowLoopback = "--allow-loopback"
	SettingAllowPrivate  = "--allow-private-networks"
)

// Settings that allow blocked address ranges for one datasource, named as
// the API names them.
const (
	DatasourceSettingAllowLoopback = "allowLoopback"
	DatasourceSettingAllowPrivate  = "allowPrivateNetworks"
)

// AddressError reports a connection to an address that the guard blocks.
type AddressError struct {
	// Host is the host name of the request, as written in its URL.
	Host string
	// Addr is the IP address the host resolved to.
	Addr netip.Addr
	// Reason names the range Addr is in, for example "loopback".
	Reason string
	// Setting is the command-line flag that allows the range for every
	// datasource, or empty when no setting allows it.
	Setting string
	// DatasourceSetting is the datasource field that allows the range for
	// that datasource alone, or empty when no setting allows it.
	DatasourceSetting string
}

// Error names the host, the blocked address and the setting that allows it.
func (e *AddressError) Error() string {
	host := e.Host
	if host == "" {
		host = e.Addr.String()
	}

	msg := fmt.Sprintf("connect to %s: blocked address %s (%s)", host, e.Addr, e.Reason)
	switch {
	case e.Setting == "" && e.DatasourceSetting == "":
		return msg + ": fieldlink never connects to it"
	case e.DatasourceSetting == "":
		return msg + ": start fieldlink with " + e.Setting + " to allow it"
	case e.Setting == "":
		return msg + ": set the datasource's " + e.DatasourceSetting + " to allow it"
	}
	return msg + ": set the datasource's " + e.DatasourceSetting + " or start fieldlink with " + e.Setting + " to allow it"
}

// guard decides which IP addresses the client may connect to.
type guard struct {
	allowLoopback bool
	allowPrivate  bool
}

// Ranges that are blocked whatever the options say.
var (
	// Cloud metadata and host agent addresses that lie outside the link-local
	// ranges: AWS's IPv6 instance metadata (fd00:ec2::254), Alibaba Cloud's
	// metadata (100.100.100.200) and Azure's WireServer (168.63.129.16).
	// The common metadata address 169.254.169.254 is link-local.
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("fd00:ec2::254"),
		netip.MustParseAddr("100.100.100.200"),
		netip.MustParseAddr("168.63.129.16"),
	}

	// thisNetwork is 0.0.0.0/8 (RFC 1122 §3.2.1.3): no host may be addressed
	// in it, and Linux treats a connect to 0.0.0.0 as a connect to loopback.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

	// reservedV4 is 240.0.0.0/4 (RFC 1112 §4), including the broadcast address.
	reservedV4 = netip.MustParsePrefix("240.0.0.0/4")

	// nat64 is the well-known NAT64 prefix (RFC 6052 §2.1), whose last 32 bits
	// carry an IPv4 address that is checked in its place.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")

	// sharedAddressSpace is carrier-grade NAT space (RFC 6598), which is as
	// internal as the RFC 1918 ranges.
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
)

// check returns nil when addr may be dialed, or an *AddressError without Host.
func (g guard) check(addr netip.Addr) *AddressError {
	addr = addr.Unmap()
	if nat64.Contains(addr) {
		addr = embeddedIPv4(addr)
	}

	block := func(reason, setting string) *AddressError {
		blocked := &AddressError{Addr: addr, Reason: reason, Setting: setting}
		switch setting {
		case SettingAllowLoopback:
			blocked.DatasourceSetting = DatasourceSettingAllowLoopback
		case SettingAllowPrivate:
			blocked.DatasourceSetting = DatasourceSettingAllowPrivate
		}
		return blocked
	}

	for _, m := range metadataAddrs {
		if addr == m {
			return block("a cloud metadata address", "")
		}
	}

	switch {
	case !addr.IsValid():
		return block("not a valid IP address", "")
	case addr.IsUnspecified() || thisNetwork.Contains(addr):
		return block("unspecified", "")
	case addr.IsLinkLocalUnicast():
		return block("link-local, the range of cloud metadata services", "")
	case addr.IsMulticast() || addr.IsLinkLocalMulticast() || addr.IsInterfaceLocalMulticast():
		return block("multicast", "")
	case reservedV4.Contains(addr):
		return block("reserved", "")
	case addr.IsLoopback():
		if g.allowLoopback {
			return nil
		}
		return block("loopback", SettingAllowLoopback)
	case addr.IsPrivate() || sharedAddressSpace.Contains(addr):
		if g.allowPrivate {
			return nil
		}
		return block("private network", SettingAllowPrivate)
	}
	return nil
}

// embeddedIPv4 returns the IPv4 address in the last 32 bits of a NAT64 address.
func embeddedIPv4(addr netip.Addr) netip.Addr {
	b := addr.As16()
	return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
}
