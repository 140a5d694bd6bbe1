package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/oidc"
)

// OIDCConfig configures single sign-on with an OpenID Connect provider. The
// zero value turns it off.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL. Empty turns single sign-on off.
	Issuer       string
	ClientID     string
	ClientSecret string

	// AllowedEmails are the email addresses, or "@domain" entries, that may
	// sign in. Single sign-on needs at least one.
	AllowedEmails []string

	// AdminGroup, when set, is a value the ID token's groups claim must
	// contain as well.
	AdminGroup string

	// DisplayName names the provider on the login page. Defaults to
	// "single sign-on".
	DisplayName string
}

// enabled reports whether single sign-on is configured.
func (c OIDCConfig) enabled() bool { return c.Issuer != "" }

// validate checks the settings that single sign-on needs.
func (c OIDCConfig) validate(publicURL string) error {
	if !c.enabled() {
		if c.ClientID != "" || c.ClientSecret != "" || len(c.AllowedEmails) > 0 || c.AdminGroup != "" {
			return errors.New("OIDC settings are given without --oidc-issuer: set the issuer too, or remove the other OIDC settings")
		}
		return nil
	}

	var problems []string
	if c.ClientID == "" {
		problems = append(problems, "--oidc-client-id is missing: set the client ID registered at the provider")
	}
	if len(c.AllowedEmails) == 0 {
		problems = append(problems, "--oidc-allowed-emails is missing: list the emails, or @domain entries, that may sign in")
	}
	if publicURL == "" {
		problems = append(problems, "--public-url is missing: single sign-on needs it for the redirect URI <public-url>/sso/callback")
	}
	if len(problems) > 0 {
		return fmt.Errorf("single sign-on with issuer %s: %s", c.Issuer, strings.Join(problems, "; "))
	}
	return nil
}

// newSSO returns the single sign-on routes, or nil when single sign-on is
// off. Requests to the provider go through client, the outbound client.
func newSSO(cfg Config, client *http.Client, sessions *auth.Manager, audit auth.AuditLog, logger *slog.Logger) (*httpapi.SSO, error) {
	c := cfg.OIDC
	if !c.enabled() {
		return nil, nil
	}

	rp, err := oidc.New(oidc.Config{
		Issuer:       c.Issuer,
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  strings.TrimSuffix(cfg.PublicURL, "/") + "/sso/callback",
		HTTPClient:   client,
	})
	if err != nil {
		return nil, err
	}

	logger.Info("single sign-on enabled", "issuer", c.Issuer, "clientID", c.ClientID, "adminGroup", c.AdminGroup)
	return httpapi.NewSSO(httpapi.SSOOptions{
		RelyingParty:  rp,
		DisplayName:   c.DisplayName,
		AllowedEmails: c.AllowedEmails,
		AdminGroup:    c.AdminGroup,
		Sessions:      sessions,
		Audit:         audit,
		SecureCookie:  strings.HasPrefix(cfg.PublicURL, "https://"),
		Logger:        logger,
	}), nil
}
