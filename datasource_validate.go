package fieldlink

import (
	"net/http"
	"net/url"
	"strings"
)

// MaxHeaders is the most custom headers a datasource may send.
const MaxHeaders = 20

// MaxTimeoutSeconds is the longest request timeout a datasource may set.
const MaxTimeoutSeconds = 300

// forbiddenHeaders are set by the HTTP client itself or describe the
// connection; letting a datasource set them would break requests.
var forbiddenHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authorization": true, "Te": true,
	"Trailer": true, "Upgrade": true,
}

// Validate checks the datasource's own fields (authentication is checked by
// the credential package). The error is an *Error naming the field.
func (d Datasource) Validate() error {
	if strings.TrimSpace(d.Name) == "" {
		return Errorf(EInvalid, "name is missing: give the datasource a name, for example \"Microsoft Graph\"")
	}
	if len(d.Name) > 200 {
		return Errorf(EInvalid, "name is %d characters long: use at most 200", len(d.Name))
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
	if d.TestPath != "" && !strings.HasPrefix(d.TestPath, "/") {
		return Errorf(EInvalid, "testPath %q must start with \"/\": it is relative to baseUrl, for example \"/users?$top=1\"", d.TestPath)
	}
	if d.TimeoutSeconds < 0 || d.TimeoutSeconds > MaxTimeoutSeconds {
		return Errorf(EInvalid, "timeoutSeconds %d is out of range: use 1 to %d, or 0 for the default of %d", d.TimeoutSeconds, MaxTimeoutSeconds, int(DefaultTimeout.Seconds()))
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
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Errorf(EInvalid, "%s %q is not an absolute http or https URL", field, raw)
	}
	if u.User != nil {
		return Errorf(EInvalid, "%s must not carry credentials in the URL: use the auth settings instead", field)
	}
	return nil
}

func validateHeaders(headers map[string]string) error {
	if len(headers) > MaxHeaders {
		return Errorf(EInvalid, "headers has %d entries: use at most %d", len(headers), MaxHeaders)
	}
	for name, value := range headers {
		canonical := http.CanonicalHeaderKey(name)
		if name == "" || strings.ContainsAny(name, " \t\r\n:") {
			return Errorf(EInvalid, "headers: %q is not a valid header name", name)
		}
		if forbiddenHeaders[canonical] {
			return Errorf(EInvalid, "headers.%s cannot be set: the HTTP client manages it; remove it", name)
		}
		if canonical == "Authorization" {
			return Errorf(EInvalid, "headers.Authorization cannot be set here: choose an auth mode (bearer, basic, api-key or OAuth 2) so the value is sealed at rest")
		}
		if strings.ContainsAny(value, "\r\n") {
			return Errorf(EInvalid, "headers.%s contains a line break: header values must be one line", name)
		}
	}
	return nil
}
