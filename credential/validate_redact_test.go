package credential

import (
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

func TestValidateTokenURLHidesPassword(t *testing.T) {
	const secret = "client-secret-in-the-url-7d2e"
	tests := []struct {
		name     string
		tokenURL string
		want     string
	}{
		{"not http", "ftp://client:" + secret + "@login.example/token", `"ftp://client:xxxxx@login.example/token" is not an http(s) URL`},
		{"does not parse", "https://client:" + secret + "@login.example/%zz", `"https://xxxxx@login.example/%zz" is not an http(s) URL: invalid URL escape "%zz"`},
		{"opaque", "client:" + secret + "@login.example", `"xxxxx@login.example" is not an http(s) URL`},
		{"user information", "https://client:" + secret + "@login.example/token", `"https://client:xxxxx@login.example/token" contains user information`},
		{"fragment", "https://client:" + secret + "@login.example/token#x", `"https://client:xxxxx@login.example/token#x" contains user information`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validOAuth()
			a.TokenURL = tt.tokenURL

			err := Validate(a)

			if err == nil {
				t.Fatalf("Validate accepted token URL %q", tt.tokenURL)
			}
			msg := fieldlink.ErrorMessage(err)
			if strings.Contains(msg, secret) {
				t.Errorf("message %q contains the password of the URL", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}
