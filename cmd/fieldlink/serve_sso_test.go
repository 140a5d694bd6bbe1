package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServeSSOConfigIncomplete(t *testing.T) {
	cmd := exec.Command(binary, "serve", "--listen", freeAddr(t), "--data", t.TempDir(),
		"--oidc-issuer", "http://127.0.0.1:1", "--public-url", "http://127.0.0.1:8080")
	cmd.Env = append(os.Environ(), "FIELDLINK_OIDC_CLIENT_SECRET=secret-MARKER")

	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started with an incomplete single sign-on setup:\n%s", out)
	}
	for _, want := range []string{"--oidc-client-id is missing", "--oidc-allowed-emails is missing"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "MARKER") {
		t.Errorf("output echoes the client secret:\n%s", out)
	}
}

func TestSplitList(t *testing.T) {
	got := splitList(" ana@example.com, ,@example.org,")
	if diff := cmp.Diff(got, []string{"ana@example.com", "@example.org"}); diff != "" {
		t.Errorf("splitList (-got +want):\n%s", diff)
	}
	if got := splitList(""); got != nil {
		t.Errorf("splitList(\"\") = %q, want nil", got)
	}
}
