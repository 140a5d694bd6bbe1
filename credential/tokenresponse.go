package credential

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTokenLifetime is how long an access token is used when the token
// response has no expires_in or an expires_in of zero. RFC 6749 §5.1 makes
// expires_in optional, so the token's real lifetime is unknown. A short
// guess means a token that expires earlier costs at most one failed request
// (Do retries a 401 with a new token), while a token that lives longer only
// costs a few more token requests.
const DefaultTokenLifetime = 5 * time.Minute

// maxTokenResponseBytes bounds the token response read for the expires_in
// check. It matches the limit of golang.org/x/oauth2, which reads the same
// body afterwards.
const maxTokenResponseBytes = 1 << 20

// ExpiresInError reports a token response whose expires_in is not a number
// of seconds (RFC 6749 §5.1), such as a negative number or text.
type ExpiresInError struct {
	// Value is expires_in as the response sent it, JSON strings quoted.
	Value string
}

// Error names the value and what it should be.
func (e *ExpiresInError) Error() string {
	return fmt.Sprintf("invalid expires_in %s in the token response: expected a whole number of seconds, 0 or more", e.Value)
}

// tokenLifetime reads the expires_in member of a token response: a JSON
// number, a numeric JSON string as some servers send, or a form value, as
// text or as the int64 or float64 that oauth2.Token.Extra makes of it. It
// reports whether the member was present. A missing or empty value returns
// false and no error. Lifetimes past math.MaxInt32 seconds are cut to it, as
// golang.org/x/oauth2 does, while a value past int64 is invalid there too.
func tokenLifetime(v any) (time.Duration, bool, error) {
	var text, display string
	switch v := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		text = strconv.FormatFloat(v, 'f', -1, 64)
		display = text
	case int64:
		// oauth2.Token.Extra returns form values that parse as integers so.
		text = strconv.FormatInt(v, 10)
		display = text
	case json.Number:
		text = v.String()
		display = text
	case string:
		if strings.TrimSpace(v) == "" {
			return 0, false, nil
		}
		text = strings.TrimSpace(v)
		display = strconv.Quote(truncate(v, 40))
	default:
		encoded, _ := json.Marshal(v)
		return 0, true, &ExpiresInError{Value: truncate(string(encoded), 40)}
	}

	seconds, err := strconv.ParseInt(text, 10, 64)
	if err != nil || seconds < 0 {
		return 0, true, &ExpiresInError{Value: display}
	}

	seconds = min(seconds, math.MaxInt32)
	return time.Duration(seconds) * time.Second, true, nil
}

// truncate shortens s to at most n bytes of valid UTF-8, so a long value
// cannot flood an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// expiresInCheck rejects a successful token response that is an HTML page
// or whose expires_in is invalid, before golang.org/x/oauth2 reads it. That
// package fails on both with a parse error that names neither the page nor
// the member, and it accepts a negative expires_in as a token that has
// already expired.
type expiresInCheck struct {
	base http.RoundTripper
}

func (t *expiresInCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponseBytes))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read token response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	contentType := resp.Header.Get("Content-Type")
	if isHTMLPage(contentType, body) {
		// The page is summarized here, where the body is at hand. The caller
		// redacts the secret, which this transport does not have.
		page := summarizePage(body)
		return nil, &HTMLPageError{Status: resp.StatusCode, ContentType: contentType, Title: page.title, Text: page.text}
	}
	if _, _, err := tokenLifetime(expiresInMember(contentType, body)); err != nil {
		return nil, err
	}
	return resp, nil
}

// expiresInMember returns the expires_in member of a token response body, or
// nil when the body has none or does not parse, which golang.org/x/oauth2
// then reports. Like that package, it reads form-encoded and text/plain
// bodies as form values and any other body as JSON.
func expiresInMember(contentType string, body []byte) any {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if mediaType == "application/x-www-form-urlencoded" || mediaType == "text/plain" {
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil
		}
		return values.Get("expires_in")
	}

	var members map[string]any
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	if err := decoder.Decode(&members); err != nil {
		return nil
	}
	return members["expires_in"]
}
