package server_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/emulator/entra"
)

// usersJSON is a Graph-like response with one user in Paris.
const usersJSON = `{"value":[{"displayName":"Amélie Laurent","officeLocation":"Paris"}]}`

// echoUpstream is a token endpoint and an API on loopback that misbehave as
// careless servers do: each echoes the credentials it received in its error
// responses. Its redirects lead to a second host, which records what it
// received.
type echoUpstream struct {
	URL      string
	OtherURL string

	mu       sync.Mutex
	received []string
}

func startEchoUpstream(t *testing.T) *echoUpstream {
	t.Helper()
	u := &echoUpstream{}

	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dump bytes.Buffer
		fmt.Fprintf(&dump, "%s %s\n", r.Method, r.URL.RequestURI())
		_ = r.Header.Write(&dump)
		u.mu.Lock()
		u.received = append(u.received, dump.String())
		u.mu.Unlock()

		// The other host echoes every header it received.
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write(dump.Bytes())
	}))
	t.Cleanup(other.Close)
	u.OtherURL = other.URL

	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", u.token)
	mux.HandleFunc("/api/echo-auth/", func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		token := strings.TrimPrefix(header, "Bearer ")
		body := map[string]any{
			"error":   map[string]string{"code": "InvalidAuthenticationToken", "message": "Access token " + token + " is not valid."},
			"request": map[string]any{"url": r.URL.RequestURI(), "Authorization": header},
		}
		writeEchoJSON(w, http.StatusUnauthorized, body)
	})
	mux.HandleFunc("/api/echo-key/", func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-API-Key")
		if key == "" {
			key = r.URL.Query().Get("key")
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "API key %s is not valid for %s (X-API-Key: %s)", key, r.URL.RequestURI(), r.Header.Get("X-API-Key"))
	})
	mux.HandleFunc("/api/slow/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(usersJSON))
	})
	mux.HandleFunc("/api/redirect-away/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	})
	mux.HandleFunc("/api/redirect-loop/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
	})
	mux.HandleFunc("/api/ok/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(usersJSON))
	})

	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	u.URL = srv.URL
	return u
}

// token rejects every client, and names the secret it received in the
// error code and the description, with the Authorization header and the
// whole form.
func (u *echoUpstream) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	secret := r.PostForm.Get("client_secret")
	if _, password, ok := r.BasicAuth(); ok {
		secret, _ = url.QueryUnescape(password)
	}
	writeEchoJSON(w, http.StatusUnauthorized, map[string]any{
		"error": "invalid_client " + secret,
		"error_description": fmt.Sprintf("AADSTS7000215: Invalid client secret provided: %s. Authorization: %s. Form: %s",
			secret, r.Header.Get("Authorization"), r.PostForm.Encode()),
		"error_codes": []int{7000215},
	})
}

// otherHostReceived returns what the second host received, one request
// after the other.
func (u *echoUpstream) otherHostReceived() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return strings.Join(u.received, "\n")
}

func writeEchoJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// startMutualTLS starts an HTTPS API that requires a client certificate
// signed by clientCertPEM's key and the API key in X-API-Key. It returns
// its URL and its certificate in PEM, for a datasource's caBundle.
func startMutualTLS(t *testing.T, clientCertPEM, apiKey string) (string, string) {
	t.Helper()
	block, _ := pem.Decode([]byte(clientCertPEM))
	clientCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	clients := x509.NewCertPool()
	clients.AddCert(clientCert)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-API-Key"); got != apiKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, "API key %q is not valid", got)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(usersJSON))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients}
	// The server would log each handshake it rejects on standard error, and
	// the test makes them fail on purpose.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return srv.URL, caPEM
}

// tokenCapture is an Entra ID emulator whose issued access tokens are
// kept, so a test can search for them.
type tokenCapture struct {
	URL string

	mu     sync.Mutex
	tokens []string
}

// startCapturedEntra serves an Entra ID emulator with one app, and keeps
// every access token it issues.
func startCapturedEntra(t *testing.T, tenant, clientID, secret string) *tokenCapture {
	t.Helper()
	emulator := entra.New(entra.Options{
		TenantID: tenant,
		Apps:     []entra.App{{ClientID: clientID, DisplayName: "header client", ClientSecret: secret, Roles: []string{"User.Read.All"}}},
	})
	c := &tokenCapture{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		emulator.ServeHTTP(rec, r)

		var body struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil && body.AccessToken != "" {
			c.mu.Lock()
			c.tokens = append(c.tokens, body.AccessToken)
			c.mu.Unlock()
		}
		for name, values := range rec.Header() {
			w.Header()[name] = values
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	c.URL = srv.URL
	return c
}

// issued returns the access tokens issued so far.
func (c *tokenCapture) issued() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.tokens...)
}

// echoProvider is an OpenID provider whose token endpoint rejects every
// code and echoes the client's credentials in the error.
type echoProvider struct {
	URL      string
	requests chan struct{}
}

func startEchoProvider(t *testing.T) *echoProvider {
	t.Helper()
	p := &echoProvider{requests: make(chan struct{}, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeEchoJSON(w, http.StatusOK, map[string]any{
			"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
			"jwks_uri": p.URL + "/jwks", "response_types_supported": []string{"code"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		p.requests <- struct{}{}
		_ = r.ParseForm()
		secret := r.PostForm.Get("client_secret")
		if _, password, ok := r.BasicAuth(); ok {
			secret, _ = url.QueryUnescape(password)
		}
		writeEchoJSON(w, http.StatusUnauthorized, map[string]any{
			"error":             "invalid_client " + secret,
			"error_description": "client secret " + secret + " is wrong; Authorization: " + r.Header.Get("Authorization") + "; form: " + r.PostForm.Encode(),
		})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *echoProvider) tokenRequests() int { return len(p.requests) }
