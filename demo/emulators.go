package demo

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fieldlink/fieldlink/emulator/entra"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
)

// Fixed identities of the demo's made-up tenant and Jira site.
const (
	TenantID      = "8f3c1a52-6b7e-4d2a-9c41-2e5f7a9b0c13"
	ClientID      = "4b1d9e27-3c5a-4f86-a2d0-6e8c7b5f1a94"
	SecretID      = "d2a7c6e1-9b34-4f0e-8a51-3c7e2b9d6f08"
	GraphScope    = "https://graph.microsoft.com/.default"
	graphResource = "https://graph.microsoft.com"
	JiraEmail     = "automation@fabrikam.example"
)

// Emulators are the built-in stand-ins for Entra ID, Microsoft Graph and
// Jira Cloud, each on its own loopback port.
type Emulators struct {
	Entra *entra.Server
	Graph *graph.Server
	Jira  *jiracloud.Server

	EntraURL string
	GraphURL string
	JiraURL  string

	// ClientSecret is the demo app's secret value.
	ClientSecret string
	// JiraAPIToken is the API token of the Jira account fieldlink writes with.
	JiraAPIToken string

	servers []*http.Server
}

// Secrets are the credentials the emulators accept. A field left empty
// gets a new random value.
type Secrets struct {
	// ClientSecret is the secret value of the demo app at Entra ID.
	ClientSecret string
	// JiraAPIToken is the API token of the Jira account fieldlink writes with.
	JiraAPIToken string
}

// StartEmulators starts the three emulators on loopback ports, with random
// secrets.
func StartEmulators(logger *slog.Logger) (*Emulators, error) {
	return StartEmulatorsWith(logger, Secrets{})
}

// StartEmulatorsWith starts the three emulators on loopback ports, accepting
// the given secrets.
func StartEmulatorsWith(logger *slog.Logger, secrets Secrets) (*Emulators, error) {
	e := &Emulators{ClientSecret: secrets.ClientSecret, JiraAPIToken: secrets.JiraAPIToken}
	if e.ClientSecret == "" {
		e.ClientSecret = randomSecret()
	}
	if e.JiraAPIToken == "" {
		e.JiraAPIToken = randomSecret()
	}

	e.Entra = entra.New(entra.Options{
		TenantID:  TenantID,
		Resources: []string{graphResource},
		Apps: []entra.App{{
			ClientID:     ClientID,
			DisplayName:  "fieldlink demo",
			ClientSecret: e.ClientSecret,
			SecretID:     SecretID,
			Roles:        []string{"User.Read.All"},
		}},
		Logger: logger.With("emulator", "entra"),
	})
	e.Graph = graph.New(graph.Options{
		Users: graph.SampleDirectory(),
		VerifyToken: func(raw string) ([]string, error) {
			claims, err := e.Entra.VerifyToken(raw, graphResource)
			return claims.Roles, err
		},
		Logger: logger.With("emulator", "graph"),
	})
	e.Jira = jiracloud.New(jiracloud.Options{
		SiteName: "fabrikam-demo",
		APIUsers: map[string]string{JiraEmail: e.JiraAPIToken},
		Logger:   logger.With("emulator", "jira"),
	})
	e.Jira.AddOptions("customfield_10050", supportGroups()...)
	e.Jira.AddOptions("customfield_10051", queues()...)

	var err error
	if e.EntraURL, err = e.serve(e.Entra); err != nil {
		return nil, err
	}
	if e.GraphURL, err = e.serve(e.Graph); err != nil {
		return nil, errors.Join(err, e.Close())
	}
	if e.JiraURL, err = e.serve(e.Jira); err != nil {
		return nil, errors.Join(err, e.Close())
	}
	e.Jira.SetBaseURL(e.JiraURL)
	return e, nil
}

// TokenURL returns the Entra emulator's v2 token endpoint for the demo tenant.
func (e *Emulators) TokenURL() string {
	return e.EntraURL + "/" + TenantID + "/oauth2/v2.0/token"
}

func (e *Emulators) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for an emulator on loopback: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close.
	return "http://" + ln.Addr().String(), nil
}

// Close stops the emulators at once. By then the demo has received every
// response it waits for, and a graceful shutdown would wait up to five
// seconds for connections that a client dialed but never used.
func (e *Emulators) Close() error {
	var errs []error
	for _, srv := range e.servers {
		errs = append(errs, srv.Close())
	}
	return errors.Join(errs...)
}

func randomSecret() string {
	buf := make([]byte, 24)
	_, _ = rand.Read(buf) // Since Go 1.24, crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(buf)
}
