package main

import (
	"runtime/debug"
	"testing"
)

func TestDescribeVersion(t *testing.T) {
	revision := "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
	tests := []struct {
		name    string
		version string
		info    *debug.BuildInfo
		want    string
	}{
		{"release", "1.4.0", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: revision}}}, "1.4.0"},
		{"dev with commit", "dev", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: revision}, {Key: "vcs.modified", Value: "false"}}}, "dev (commit 1a2b3c4d5e6f)"},
		{"dev with changes", "dev", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: revision}, {Key: "vcs.modified", Value: "true"}}}, "dev (commit 1a2b3c4d5e6f, modified)"},
		{"dev without VCS", "dev", &debug.BuildInfo{}, "dev"},
		{"no build info", "dev", nil, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeVersion(tt.version, tt.info); got != tt.want {
				t.Errorf("describeVersion(%q) = %q, want %q", tt.version, got, tt.want)
			}
		})
	}
}
