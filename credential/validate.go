package credential

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// Validate checks the fields that a's mode uses, and the TLS client
// certificate of any mode. It returns nil or a *fieldlink.Error with code
// EInvalid whose message names the field, the value (never a secret) and
// what to enter instead. An empty Mode means AuthNone. A client assertion
// certificate must not have expired at the current time.
func Validate(a fieldlink.Auth) error {
	return validateAt(a, time.Now())
}

// validateAt is Validate with now as the current time.
func validateAt(a fieldlink.Auth, now time.Time) error {
	if err := validateMode(a, now); err != nil {
		return err
	}
	if err := validateUnusedSecrets(a); err != nil {
		return err
	}

	if a.TLSClientCertificate != "" || a.TLSClientKey != "" {
		if _, err := outbound.TLSClientCertificate(a); err != nil {
			return err
		}
	}
	return nil
}

func validateMode(a fieldlink.Auth, now time.Time) error {
	switch a.Mode {
	case fieldlink.AuthNone, "":
		return nil
	case fieldlink.AuthBasic:
		return validateBasic(a)
	case fieldlink.AuthBearer:
		return validateSecret("auth.token", "the token", a.Token)
	case fieldlink.AuthAPIKey:
		return validateAPIKey(a)
	case fieldlink.AuthOAuth2ClientCredentials:
		return validateClientCredentials(a, now)
	}
	return invalid("auth.mode %q is not supported: use one of none, basic, bearer, api-key or oauth2-client-credentials", a.Mode)
}

func validateBasic(a fieldlink.Auth) error {
	switch {
	case a.Username == "":
		return invalid("auth.username is missing: enter the user name for HTTP Basic authentication")
	case strings.Contains(a.Username, ":"):
		// RFC 7617 §2: the user-id cannot contain a colon, because the colon
		// separates it from the password.
		return invalid("auth.username %q contains a colon, which HTTP Basic authentication does not allow: check the user name", a.Username)
	case hasControl(a.Username):
		return invalid("auth.username %q contains a control character: remove line breaks and tabs", a.Username)
	case hasControl(a.Password):
		return invalid("auth.password contains a control character: remove line breaks and tabs copied with it")
	case a.Password == "":
		return invalid("auth.password is missing: enter the password, or the API token for APIs such as Jira Cloud")
	}
	return nil
}

// secretsByMode lists the secret fields each mode uses; the TLS client key
// belongs to every mode.
var secretsByMode = map[fieldlink.AuthMode][]string{
	fieldlink.AuthNone:                    {},
	"":                                    {},
	fieldlink.AuthBasic:                   {"password"},
	fieldlink.AuthBearer:                  {"token"},
	fieldlink.AuthAPIKey:                  {"apiKeyValue"},
	fieldlink.AuthOAuth2ClientCredentials: {"clientSecret", "clientPrivateKey"},
}

// validateUnusedSecrets rejects a secret that the mode does not use, so a
// secret entered into the wrong field is not stored where nothing reads it.
func validateUnusedSecrets(a fieldlink.Auth) error {
	used, ok := secretsByMode[a.Mode]
	if !ok {
		return nil
	}
	fields := a.SecretFields()
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)

	for _, name := range names {
		if *fields[name] == "" || name == "tlsClientKey" || slices.Contains(used, name) {
			continue
		}
		return invalid("auth.%s is set, but auth mode %q does not use it: remove it, or choose the mode it belongs to", name, a.Mode)
	}
	return nil
}

func validateAPIKey(a fieldlink.Auth) error {
	switch {
	case a.APIKeyName == "":
		return invalid("auth.apiKeyName is missing: enter the header or query parameter name the API expects, such as X-API-Key")
	case a.APIKeyIn != fieldlink.APIKeyInHeader && a.APIKeyIn != fieldlink.APIKeyInQuery:
		return invalid("auth.apiKeyIn %q is not supported: use header or query", a.APIKeyIn)
	case a.APIKeyIn == fieldlink.APIKeyInHeader && !httpguts.ValidHeaderFieldName(a.APIKeyName):
		return invalid("auth.apiKeyName %q is not a valid header name: use letters, digits and - only, such as X-API-Key", a.APIKeyName)
	}
	return validateSecret("auth.apiKeyValue", "the API key", a.APIKeyValue)
}

func validateClientCredentials(a fieldlink.Auth, now time.Time) error {
	if err := validateTokenURL(a.TokenURL); err != nil {
		return err
	}

	switch {
	case strings.TrimSpace(a.ClientID) == "":
		return invalid("auth.clientId is missing: enter the application (client) ID")
	case hasControl(a.ClientID) || strings.TrimSpace(a.ClientID) != a.ClientID:
		return invalid("auth.clientId %q has spaces or control characters around or inside it: paste the ID again without them", a.ClientID)
	}

	switch a.ClientAuthentication {
	case fieldlink.ClientAuthHeader, fieldlink.ClientAuthBody:
		if err := validateSecret("auth.clientSecret", "the client secret", a.ClientSecret); err != nil {
			return err
		}
	case fieldlink.ClientAuthPrivateKeyJWT:
		if _, err := newAssertionSigner(a, now); err != nil {
			return err
		}
	case "":
		return invalid("auth.clientAuthentication is missing: use header (HTTP Basic, the RFC 6749 default), body (client_id and client_secret form parameters) or private_key_jwt (a client assertion signed with a certificate's key); Entra ID accepts all three")
	default:
		return invalid("auth.clientAuthentication %q is not supported: use header (HTTP Basic, the RFC 6749 default), body (client_id and client_secret form parameters) or private_key_jwt (a client assertion signed with a certificate's key)", a.ClientAuthentication)
	}

	for i, scope := range a.Scopes {
		if scope == "" || !isScopeToken(scope) {
			return invalid("auth.scopes[%d] %q is not a valid scope: enter one scope per entry without spaces or quotes, such as https://graph.microsoft.com/.default", i, scope)
		}
	}
	return validateTokenParams(a.TokenParams)
}

// reservedTokenParams are the token request parameters that other settings
// set. Sending them twice would let a token parameter override a setting.
var reservedTokenParams = map[string]string{
	"grant_type":            "it is always client_credentials",
	"client_id":             "enter the client ID in auth.clientId",
	"client_secret":         "enter the secret in auth.clientSecret",
	"client_assertion":      "choose private_key_jwt client authentication, which signs a new assertion for each request",
	"client_assertion_type": "choose private_key_jwt client authentication, which sets it",
	"scope":                 "enter scopes in auth.scopes",
}

func validateTokenParams(params map[string]string) error {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)

	for _, name := range names {
		switch {
		case strings.TrimSpace(name) == "":
			return invalid("auth.tokenParams has an empty parameter name: enter a name such as resource or audience")
		case hasControl(name) || strings.TrimSpace(name) != name:
			return invalid("auth.tokenParams name %q has spaces or control characters around or inside it: enter the name without them", name)
		case reservedTokenParams[strings.ToLower(name)] != "":
			return invalid("auth.tokenParams must not set %q: %s", name, reservedTokenParams[strings.ToLower(name)])
		case hasControl(params[name]):
			return invalid("auth.tokenParams[%q] contains a control character: remove line breaks and tabs from the value", name)
		}
	}
	return nil
}

func validateTokenURL(raw string) error {
	if raw == "" {
		return invalid("auth.tokenUrl is missing: enter the token endpoint, such as https://login.microsoftonline.com/{tenant-id}/oauth2/v2.0/token")
	}

	// The URL may carry the client secret as its password, so messages
	// quote it with the password hidden.
	quoted := hidePassword(raw)
	u, err := url.Parse(raw)
	var urlErr *url.Error
	switch {
	case errors.As(err, &urlErr):
		return invalid("auth.tokenUrl %q is not an http(s) URL: %v", quoted, urlErr.Err)
	case err != nil:
		return invalid("auth.tokenUrl %q is not an http(s) URL", quoted)
	case u.Scheme != "https" && u.Scheme != "http":
		return invalid("auth.tokenUrl %q is not an http(s) URL: enter the token endpoint, such as https://login.microsoftonline.com/{tenant-id}/oauth2/v2.0/token", quoted)
	case u.Host == "":
		return invalid("auth.tokenUrl %q has no host: enter the full token endpoint URL", quoted)
	case u.User != nil:
		return invalid("auth.tokenUrl %q contains user information: remove it and enter the client ID and secret in their own fields", quoted)
	case u.Fragment != "":
		return invalid("auth.tokenUrl %q contains a fragment: remove the part from #", quoted)
	}
	return nil
}

// hidePassword returns raw for a message, with the password of its user
// information hidden as url.URL.Redacted does. When raw does not parse, or
// parses as an opaque URL such as "client:secret@host", the whole user
// information becomes "xxxxx".
func hidePassword(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Opaque == "" {
		return u.Redacted()
	}

	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndex(raw[start:end], "@"); at >= 0 {
		return raw[:start] + "xxxxx" + raw[start+at:]
	}
	return raw
}

// validateSecret checks a secret field without putting its value in the
// message.
func validateSecret(field, label, value string) error {
	switch {
	case value == "":
		return invalid("%s is missing: enter %s", field, label)
	case hasControl(value):
		return invalid("%s contains a control character: remove line breaks and tabs copied with %s", field, label)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fieldlink.Errorf(fieldlink.EInvalid, format, args...)
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 || r == 0x7f
	})
}

// isScopeToken reports whether s is a scope token of RFC 6749 §3.3: printable
// ASCII other than space, double quote and backslash.
func isScopeToken(s string) bool {
	for _, r := range s {
		if r <= 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}
