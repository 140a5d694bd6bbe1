package outbound

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ExcerptBytes is the maximum length of an excerpt, in bytes.
const ExcerptBytes = 300

// redacted replaces a secret in an excerpt.
const redacted = "[REDACTED]"

// Patterns of text that look like credentials in a response body.
var (
	// A JSON Web Token: three base64url parts, the first a JSON header.
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

	// An Authorization header value echoed in a body. A bearer token may be
	// short, while Basic credentials are base64: the length and redactBasic
	// keep prose such as "basic auth" or "Basic authentication" readable.
	bearerPattern = regexp.MustCompile(`(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+`)
	basicPattern  = regexp.MustCompile(`(?i)\b(basic)\s+[A-Za-z0-9+/=]{8,}`)

	// A JSON member whose name says it holds a credential.
	jsonSecretPattern = regexp.MustCompile(`(?i)("[a-z_-]*(?:token|secret|password|apikey|api_key|api-key)[a-z_-]*"\s*:\s*)"(?:[^"\\]|\\.)*"`)

	// A form or query parameter whose name says it holds a credential.
	formSecretPattern = regexp.MustCompile(`(?i)\b([a-z_-]*(?:token|secret|password|apikey|api_key|api-key)[a-z_-]*=)[^&\s"]+`)

	whitespace = regexp.MustCompile(`\s+`)
)

// Excerpt returns the start of body as one line of at most ExcerptBytes
// bytes, for an error message. It replaces each of secrets (and its URL
// encoding) and anything that looks like a token, password or key with
// "[REDACTED]" before it cuts the text.
func Excerpt(body []byte, secrets ...string) string {
	text := Redact(string(body), secrets...)
	text = strings.TrimSpace(whitespace.ReplaceAllString(text, " "))
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) <= ExcerptBytes {
		return text
	}

	cut := ExcerptBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// Redact replaces each of secrets (and its URL encoding) and anything in
// text that looks like a token, password or key with "[REDACTED]".
func Redact(text string, secrets ...string) string {
	text = RedactValues(text, secrets...)
	text = jwtPattern.ReplaceAllString(text, redacted)
	text = bearerPattern.ReplaceAllString(text, "$1 "+redacted)
	text = basicPattern.ReplaceAllStringFunc(text, redactBasic)
	text = jsonSecretPattern.ReplaceAllString(text, `$1"`+redacted+`"`)
	text = formSecretPattern.ReplaceAllString(text, "$1"+redacted)
	return text
}

// RedactValues replaces each of secrets, and its URL encoding, with
// "[REDACTED]". Unlike Redact it changes nothing else, so it suits text that
// is used or shown whole, such as a response body whose JSON members named
// "nextPageToken" must stay readable.
func RedactValues(text string, secrets ...string) string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		text = strings.ReplaceAll(text, s, redacted)
		if escaped := url.QueryEscape(s); escaped != s {
			text = strings.ReplaceAll(text, escaped, redacted)
		}
	}
	return text
}

// redactBasic redacts a "Basic <credentials>" match unless the word after
// "Basic" reads as prose. Base64 of "user:password" nearly always holds a
// digit, "+", "/", "=" or an upper-case letter after the first character;
// an English word such as "authentication" holds none of them.
func redactBasic(match string) string {
	fields := strings.Fields(match)
	word := fields[len(fields)-1]
	for i, r := range word {
		if (r >= '0' && r <= '9') || r == '+' || r == '/' || r == '=' || (i > 0 && r >= 'A' && r <= 'Z') {
			return fields[0] + " " + redacted
		}
	}
	return match
}
