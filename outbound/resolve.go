package outbound

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/fieldlink/fieldlink"
)

// ResolveHost resolves host as the dialer would and checks every address
// against the guard with the allowances of the server and ds, for Test
// connection to show where a datasource's requests would go. It returns the
// addresses, and an *AddressError with Host set for the first blocked one.
// An IP literal is checked without a lookup.
//
// The dialer checks each address again when it connects, so a DNS answer
// that changes after this check is still guarded.
func (c *Client) ResolveHost(ctx context.Context, ds fieldlink.Datasource, host string) ([]netip.Addr, error) {
	g := guard{
		allowLoopback: c.guard.allowLoopback || ds.AllowLoopback,
		allowPrivate:  c.guard.allowPrivate || ds.AllowPrivateNetworks,
	}

	var addrs []netip.Addr
	if addr, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{addr}
	} else {
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}

	for i, addr := range addrs {
		addrs[i] = addr.Unmap().WithZone("")
	}
	for _, addr := range addrs {
		if blocked := g.check(addr); blocked != nil {
			blocked.Host = host
			return addrs, blocked
		}
	}
	return addrs, nil
}
