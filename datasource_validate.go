package fieldlink

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
)

// MaxHeaders is the most custom headers a datasource may send.
const MaxHeaders = 20

// MaxTimeoutSeconds is the longest request timeout, and the longest
// connection timeout, a datasource may set.
const MaxTimeoutSeconds = 300

// forbiddenHeaders are set by the HTTP client itself or describe the
// connection; letting a datasource set them would break requests.
var forbiddenHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authorization": true, "Te": true,
	"Trailer": true, "Upgrade": true,
}

// credentialHeaders are well-known headers that carry an API key, a token
// or a session. Custom headers are stored unsealed and shown by the API, so
// these values belong in the datasource's authentication instead.
var credentialHeaders = map[string]bool{
	"Cookie": true, "X-Api-Key": true, "Api-Key": true, "Ocp-Apim-Subscription-Key": true,
	"X-Auth-Token": true, "X-Access-Token": true, "Private-Token": true,
}

// Validate checks the datasource's own fields (authentication is checked by
// the credential package). The error is an *Error naming the field. It never
// quotes the credentials of a URL.
func (d Datasource) Validate() error {
	if strings.TrimSpace(d.Name) == "" {
		return Errorf(EInvalid, "name is missing: give the datasource a name, for example \"Microsoft Graph\"")
	}
	if len(d.Name) > 200 {
		return Errorf(EInvalid, "name is %d characters long: use at most 200", len(d.Name))
	}
	if !utf8.ValidString(d.Name) {
		return Errorf(EInvalid, "name is not valid UTF-8 text: type the name again")
	}
	if d.Auth.Mode == "" {
		return Errorf(EInvalid, "auth.mode is missing: use none, basic, bearer, api-key or oauth2-client-credentials")
	}
	if err := validateHTTPURL("baseUrl", d.BaseURL, true); err != nil {
		return err
	}
	if err := validateHTTPURL("apiDocumentationUrl", d.APIDocumentationURL, false); err != nil {
		return err
	}
	if err := validateTestPath(d.TestPath); err != nil {
		return err
	}
	if err := validateSeconds("timeoutSeconds", d.TimeoutSeconds, DefaultTimeout.Seconds()); err != nil {
		return err
	}
	if err := validateSeconds("connectTimeoutSeconds", d.ConnectTimeoutSeconds, DefaultConnectTimeout.Seconds()); err != nil {
		return err
	}
	if !utf8.ValidString(d.CABundle) {
		return Errorf(EInvalid, "caBundle is not valid UTF-8 text: paste the CA certificates in PEM form")
	}
	return validateHeaders(d.Headers)
}

func validateHTTPURL(field, raw string, required bool) error {
	if raw == "" {
		if required {
			return Errorf(EInvalid, "%s is missing: give the API's base URL, for example \"https://graph.microsoft.com/v1.0\"", field)
		}
		return nil
	}
	if !utf8.ValidString(raw) {
		return Errorf(EInvalid, "%s is not valid UTF-8 text: type the URL again", field)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Errorf(EInvalid, "%s %q is not an absolute http or https URL", field, redactUserinfo(raw))
	}
	if u.User != nil {
		return Errorf(EInvalid, "%s must not carry credentials in the URL: use the auth settings instead", field)
	}
	return nil
}

// redactUserinfo replaces what comes before the last "@" of a URL's
// authority, which may be a user name and password, so an error can quote a
// URL that does not parse. Without "://" the authority starts at the
// beginning, because "user:password@host" parses as a scheme and an opaque
// part.
func redactUserinfo(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndex(raw[start:end], "@")
	if at < 0 {
		return raw
	}
	return raw[:start] + "REDACTED" + raw[start+at:]
}

func validateTestPath(path string) error {
	if path == "" {
		return nil
	}
	if !utf8.ValidString(path) {
		return Errorf(EInvalid, "testPath is not valid UTF-8 text: type the path again")
	}
	if !strings.HasPrefix(path, "/") {
		return Errorf(EInvalid, "testPath %q must start with \"/\": it is relative to baseUrl, for example \"/users?$top=1\"", path)
	}
	return nil
}

// validateSeconds checks a timeout in seconds, where 0 means the default.
func validateSeconds(field string, seconds int, defaultSeconds float64) error {
	if seconds < 0 || seconds > MaxTimeoutSeconds {
		return Errorf(EInvalid, "%s %d is out of range: use 1 to %d, or 0 for the default of %d", field, seconds, MaxTimeoutSeconds, int(defaultSeconds))
	}
	return nil
}

// validateHeaders checks the names and values of custom headers, in the
// order of their names so that the first problem reported is always the
// same.
func validateHeaders(headers map[string]string) error {
	if len(headers) > MaxHeaders {
		return Errorf(EInvalid, "headers has %d entries: use at most %d", len(headers), MaxHeaders)
	}

	names := make([]string, 0, len(headers))
	for name := range headers {
		names = append(names, name)
	}
	slices.Sort(names)

	seen := make(map[string]string, len(headers))
	for _, name := range names {
		if !httpguts.ValidHeaderFieldName(name) {
			return Errorf(EInvalid, "headers: %q is not a valid header name: use letters, digits and hyphens, such as X-Request-Source", name)
		}
		canonical := http.CanonicalHeaderKey(name)
		if forbiddenHeaders[canonical] {
			return Errorf(EInvalid, "headers.%s cannot be set: the HTTP client manages it; remove it", name)
		}
		if canonical == "Authorization" {
			return Errorf(EInvalid, "headers.Authorization cannot be set here: choose an auth mode (bearer, basic, api-key or OAuth 2) so the value is sealed at rest")
		}
		if credentialHeaders[canonical] {
			return Errorf(EInvalid, "headers.%s carries a credential, which custom headers would store unsealed and show: remove it and choose auth mode api-key with apiKeyIn header and apiKeyName %s, so the value is sealed at rest", name, name)
		}
		// Header names are case-insensitive (RFC 9110 §5.1), so two entries
		// that differ only in case would race for one header.
		if earlier, ok := seen[canonical]; ok {
			return Errorf(EInvalid, "headers.%s and headers.%s name the same header: keep one", earlier, name)
		}
		seen[canonical] = name

		value := headers[name]
		if strings.ContainsAny(value, "\r\n") {
			return Errorf(EInvalid, "headers.%s contains a line break: header values must be one line", name)
		}
		if strings.ContainsFunc(value, isControl) {
			return Errorf(EInvalid, "headers.%s contains a control character: remove it, since HTTP allows only tabs and visible characters in a header value", name)
		}
		if !utf8.ValidString(value) {
			return Errorf(EInvalid, "headers.%s is not valid UTF-8 text: type the value again", name)
		}
	}
	return nil
}

// isControl reports whether r is a control character that a header value
// must not contain: any below space except the tab, and DEL (RFC 9110 §5.5).
func isControl(r rune) bool {
	return r < ' ' && r != '\t' || r == 0x7f
}
