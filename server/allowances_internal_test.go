package server

import "testing"

func TestAllowedRangesNamesOnlyAllowed(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{AllowLoopback: true}, "addresses on this machine (loopback)"},
		{Config{AllowPrivate: true}, "addresses on private networks"},
		{Config{AllowLoopback: true, AllowPrivate: true}, "addresses on this machine and its private networks"},
	}
	for _, tt := range tests {
		if got := allowedRanges(tt.cfg); got != tt.want {
			t.Errorf("allowedRanges(loopback %v, private %v) = %q, want %q", tt.cfg.AllowLoopback, tt.cfg.AllowPrivate, got, tt.want)
		}
	}
}
