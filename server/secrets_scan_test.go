package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// newMarker returns a secret that names its kind and is unique to one run,
// such as "MARKER-bearer-echo-3f9c0a1b2d4e", so a leak names what leaked.
func newMarker(kind string) string {
	random := make([]byte, 6)
	_, _ = rand.Read(random)
	return "MARKER-" + kind + "-" + hex.EncodeToString(random)
}

// secretSet lists every secret of a run with the encodings it could leak
// in. It is safe for concurrent use.
type secretSet struct {
	mu    sync.Mutex
	forms map[string][]string
}

func newSecretSet() *secretSet {
	return &secretSet{forms: map[string][]string{}}
}

// add records a secret of the named kind. Besides value itself, its URL
// encoding, hex and standard base64 are searched for, and so is each of
// extra, such as the base64 of "user:password" in a Basic header.
func (s *secretSet) add(kind, value string, extra ...string) {
	if value == "" {
		panic("empty secret for " + kind)
	}
	forms := []string{value, url.QueryEscape(value), hex.EncodeToString([]byte(value)), base64.StdEncoding.EncodeToString([]byte(value))}
	forms = append(forms, extra...)

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, form := range forms {
		if !slices.Contains(s.forms[kind], form) {
			s.forms[kind] = append(s.forms[kind], form)
		}
	}
}

// addKey records a PEM private key: each full line of its base64 body is
// searched for, so a key that leaks in part is found too.
func (s *secretSet) addKey(kind, keyPEM string) {
	lines := strings.Split(strings.TrimSpace(keyPEM), "\n")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range lines[1 : len(lines)-1] {
		if len(line) == 64 {
			s.forms[kind] = append(s.forms[kind], line)
		}
	}
}

// kinds returns the names of the secrets in order.
func (s *secretSet) kinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	kinds := make([]string, 0, len(s.forms))
	for k := range s.forms {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

func (s *secretSet) formsOf(kind string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.forms[kind]...)
}

// basicForm returns the base64 credentials of an HTTP Basic header.
func basicForm(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// clientBasicForm returns the credentials of an OAuth 2 client in HTTP
// Basic, whose ID and secret are form-encoded first (RFC 6749 §2.3.1).
func clientBasicForm(clientID, secret string) string {
	return basicForm(url.QueryEscape(clientID), url.QueryEscape(secret))
}

// Access tokens are JSON Web Tokens. Text surfaces must not contain even
// their start. Binary files are searched for the whole shape, because random
// bytes of sealed values could spell "eyJ" but hardly two dotted runs.
var (
	jwtStart = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}`)
	jwtWhole = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`)
)

// surface is text a user or an attacker could read, by name.
type surface struct {
	name string
	text string
	// binary marks database files, where only whole tokens are searched for.
	binary bool
}

// checkNoLeaks fails t once for each leak that findLeaks reports.
func checkNoLeaks(t *testing.T, secrets *secretSet, surfaces []surface) {
	t.Helper()
	for _, leak := range findLeaks(secrets, surfaces) {
		t.Error(leak)
	}
}

// findLeaks describes each surface that contains a secret, in any of its
// forms, or an access token. A surface is named once per secret.
func findLeaks(secrets *secretSet, surfaces []surface) []string {
	var leaks []string
	for _, kind := range secrets.kinds() {
		forms := secrets.formsOf(kind)
		for _, sf := range surfaces {
			for _, form := range forms {
				if i := strings.Index(sf.text, form); i >= 0 {
					leaks = append(leaks, fmt.Sprintf("the %s appears in %s: …%s…", kind, sf.name, around(sf.text, i, len(form))))
					break
				}
			}
		}
	}

	for _, sf := range surfaces {
		pattern := jwtStart
		if sf.binary {
			pattern = jwtWhole
		}
		if loc := pattern.FindStringIndex(sf.text); loc != nil {
			leaks = append(leaks, fmt.Sprintf("an access token (JWT) appears in %s: …%s…", sf.name, around(sf.text, loc[0], loc[1]-loc[0])))
		}
	}
	return leaks
}

// around returns the text near a match, on one line, for a failure message.
func around(text string, at, length int) string {
	start, end := max(at-100, 0), min(at+length+100, len(text))
	return strings.ReplaceAll(strings.ToValidUTF8(text[start:end], "?"), "\n", "⏎")
}

// folderSurfaces returns every file under dir except the master key file,
// which holds the master key by design.
func folderSurfaces(t *testing.T, dir, when string) []surface {
	t.Helper()
	var out []surface
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "master.key" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, surface{name: fmt.Sprintf("data folder file %s (%s)", rel, when), text: string(raw), binary: true})
		return nil
	})
	if err != nil {
		t.Fatalf("read data folder %s: %v", dir, err)
	}
	return out
}

// exchange is one HTTP response as a client saw it.
type exchange struct {
	method, path string
	text         string
}

// recorder is an http.RoundTripper that keeps the status, headers and body
// of every response it passes on.
type recorder struct {
	base http.RoundTripper

	mu        sync.Mutex
	exchanges []exchange
}

func newRecorder() *recorder {
	return &recorder{base: http.DefaultTransport}
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	var text strings.Builder
	fmt.Fprintf(&text, "%d %s\n", resp.StatusCode, resp.Status)
	_ = resp.Header.Write(&text)
	text.Write(body)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, exchange{method: req.Method, path: req.URL.Path, text: text.String()})
	return resp, nil
}

// issued records that the last response to method and path showed value
// once by design, as a new hook secret or API token is shown. The value is
// cut from that response only, so it counts as a leak anywhere else.
func (r *recorder) issued(t *testing.T, value, method, path string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.exchanges) - 1; i >= 0; i-- {
		e := &r.exchanges[i]
		if e.method == method && e.path == path {
			if !strings.Contains(e.text, value) {
				t.Fatalf("the response of %s %s does not show the value it issued", method, path)
			}
			e.text = strings.ReplaceAll(e.text, value, "[ISSUED]")
			return
		}
	}
	t.Fatalf("no response of %s %s was recorded", method, path)
}

// surfaces returns every recorded response.
func (r *recorder) surfaces() []surface {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]surface, 0, len(r.exchanges))
	for i, e := range r.exchanges {
		out = append(out, surface{name: fmt.Sprintf("response %d to %s %s", i, e.method, e.path), text: e.text})
	}
	return out
}

// count returns the number of recorded responses.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.exchanges)
}

func TestFindLeaksEncodings(t *testing.T) {
	secrets := newSecretSet()
	password := "MARKER-password-a+b/c"
	secrets.add("password", password, basicForm("ana", password))
	_, keyPEM := keyPair(t)
	secrets.addKey("private key", keyPEM)
	keyLine := strings.Split(keyPEM, "\n")[3]
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2lnbmF0dXJl"

	tests := []struct {
		name    string
		surface surface
		want    string
	}{
		{"plain", surface{name: "log", text: "password " + password + " rejected"}, "the password appears in log"},
		{"URL encoded", surface{name: "log", text: "/login?p=" + url.QueryEscape(password)}, "the password appears in log"},
		{"hex", surface{name: "table", text: `\x` + hex.EncodeToString([]byte(password))}, "the password appears in table"},
		{"base64", surface{name: "export", text: base64.StdEncoding.EncodeToString([]byte(password))}, "the password appears in export"},
		{"Basic header", surface{name: "log", text: "Authorization: Basic " + basicForm("ana", password)}, "the password appears in log"},
		{"part of a key", surface{name: "page", text: "key: " + keyLine}, "the private key appears in page"},
		{"JWT start on text", surface{name: "log", text: "token eyJhbGci… cut"}, "an access token (JWT) appears in log"},
		{"whole JWT in a file", surface{name: "db", text: "\x00" + jwt + "\x00", binary: true}, "an access token (JWT) appears in db"},
		{"nothing", surface{name: "log", text: "password [REDACTED] rejected, eyJ in binary", binary: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaks := findLeaks(secrets, []surface{tt.surface})

			if tt.want == "" {
				if len(leaks) != 0 {
					t.Errorf("findLeaks = %q, want none", leaks)
				}
				return
			}
			if len(leaks) != 1 || !strings.HasPrefix(leaks[0], tt.want) {
				t.Errorf("findLeaks = %q, want one leak starting %q", leaks, tt.want)
			}
		})
	}
}
