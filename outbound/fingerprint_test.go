package outbound_test

import (
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

func TestForNewClientPerSetting(t *testing.T) {
	first := newClientCertificate(t, "first")
	second := newClientCertificate(t, "second")
	base := fieldlink.Datasource{ID: "ds-1", CABundle: first.certPEM,
		Auth: fieldlink.Auth{TLSClientCertificate: first.certPEM, TLSClientKey: first.keyPEM}}

	tests := []struct {
		name   string
		change func(ds *fieldlink.Datasource)
	}{
		{"connect timeout", func(ds *fieldlink.Datasource) { ds.ConnectTimeoutSeconds = 3 }},
		{"CA bundle", func(ds *fieldlink.Datasource) { ds.CABundle = second.certPEM }},
		{"client certificate", func(ds *fieldlink.Datasource) {
			ds.Auth.TLSClientCertificate, ds.Auth.TLSClientKey = second.certPEM, second.keyPEM
		}},
		{"loopback allowance", func(ds *fieldlink.Datasource) { ds.AllowLoopback = true }},
		{"private allowance", func(ds *fieldlink.Datasource) { ds.AllowPrivateNetworks = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := outbound.New(outbound.Options{})
			before, err := c.For(base)
			if err != nil {
				t.Fatalf("For: %v", err)
			}
			again, err := c.For(base)
			if err != nil {
				t.Fatalf("For again: %v", err)
			}
			changed := base
			tt.change(&changed)
			after, err := c.For(changed)
			if err != nil {
				t.Fatalf("For after the change: %v", err)
			}

			if again != before {
				t.Error("For returned a new client for unchanged settings, want the cached one")
			}
			if after == before {
				t.Errorf("For returned the same client after the %s changed, want a new one", tt.name)
			}
		})
	}
}
