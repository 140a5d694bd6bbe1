package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExampleHostsOnly checks that the deployment files and their guide name
// no real host: examples use example.com, and probes use loopback.
func TestExampleHostsOnly(t *testing.T) {
	files := []string{
		filepath.Join(repoRoot, "Dockerfile"),
		filepath.Join(repoRoot, "docs", "deploy.md"),
		unitPath,
		envFilePath,
	}
	manifests, err := filepath.Glob(filepath.Join(kubernetesDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, manifests...)

	urlPattern := regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s"'<>()\x60]+`)
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, found := range urlPattern.FindAllString(string(raw), -1) {
			u, err := url.Parse(strings.TrimRight(found, ".,;:"))
			if err != nil {
				t.Errorf("%s: %q does not parse as a URL: %v", name, found, err)
				continue
			}
			if !exampleHost(u.Hostname()) {
				t.Errorf("%s names host %q in %s: use example.com names or loopback", name, u.Hostname(), found)
			}
		}
	}
}

// exampleHost reports whether host is reserved for examples or is loopback.
// An empty host is a placeholder such as postgres:///fieldlink.
func exampleHost(host string) bool {
	switch host {
	case "", "127.0.0.1", "::1", "localhost", "example.com":
		return true
	}
	return strings.HasSuffix(host, ".example.com")
}
