package credential

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/fieldlink/fieldlink/outbound"
)

// maxTitleBytes bounds the page title an error quotes.
const maxTitleBytes = 100

// maxPageTextBytes bounds the text of a page without a title that an error
// quotes.
const maxPageTextBytes = 200

// HTMLPageError reports a successful (2xx) token endpoint response that is
// an HTML page, such as a captive portal's sign-in page or a web page at a
// wrong token URL, in place of a JSON token response. errors.Is matches it
// with ErrInvalidTokenResponse. An HTML page with an error status is a
// *TokenError with HTMLPage set instead, so its status still decides
// whether a retry may help.
type HTMLPageError struct {
	// TokenURL is the token endpoint, without a password.
	TokenURL string
	// Status and ContentType are the response's.
	Status      int
	ContentType string
	// Title is the page's title, and Text the start of its text when it
	// has no title. Secrets are redacted from both.
	Title, Text string
}

// Error names the token URL, the page and where it probably came from.
func (e *HTMLPageError) Error() string {
	return fmt.Sprintf("token request to %s returned %s with status %d %s and Content-Type %s, not a JSON token response: a proxy, a captive portal or a sign-in page responded in place of the token endpoint",
		e.TokenURL, pageSummary{title: e.Title, text: e.Text}, e.Status, http.StatusText(e.Status), e.ContentType)
}

// Is reports whether target is ErrInvalidTokenResponse.
func (e *HTMLPageError) Is(target error) bool {
	return target == ErrInvalidTokenResponse
}

// pageSummary is the part of an HTML page that an error quotes: its title
// or, for a page without one, the start of its text. Markup, styles and scripts are
// left out, because they rarely describe the error.
type pageSummary struct {
	title string
	text  string
}

// String describes the page as "an HTML page" with its title or text.
func (p pageSummary) String() string {
	switch {
	case p.title != "":
		return fmt.Sprintf("an HTML page titled %q", p.title)
	case p.text != "":
		return fmt.Sprintf("an HTML page reading %q", p.text)
	}
	return "an HTML page"
}

// isHTMLPage reports whether a response is an HTML page: a body that is
// not JSON and either comes with an HTML Content-Type or starts like an HTML
// document. A JSON body counts as JSON whatever its Content-Type, because
// golang.org/x/oauth2 reads it so.
func isHTMLPage(contentType string, body []byte) bool {
	if json.Valid(body) {
		return false
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if mediaType == "text/html" || mediaType == "application/xhtml+xml" {
		return true
	}

	start := bytes.ToLower(bytes.TrimSpace(body[:min(len(body), 512)]))
	return bytes.HasPrefix(start, []byte("<!doctype html")) || bytes.HasPrefix(start, []byte("<html"))
}

var (
	// titlePattern finds the content of an HTML document's title element.
	titlePattern = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	// hiddenPatterns find the elements whose content is not page text.
	hiddenPatterns = []*regexp.Regexp{
		regexp.MustCompile(`(?is)<head[^>]*>.*?</head>`),
		regexp.MustCompile(`(?is)<style[^>]*>.*?</style>`),
		regexp.MustCompile(`(?is)<script[^>]*>.*?</script>`),
		regexp.MustCompile(`(?s)<!--.*?-->`),
	}
	// tagPattern finds any tag.
	tagPattern = regexp.MustCompile(`(?s)<[^>]*>`)
)

// summarizePage returns an HTML page's title, or the start of its text when
// it has no title, with entities decoded, whitespace collapsed and the
// secrets redacted.
func summarizePage(body []byte, secrets ...string) pageSummary {
	if match := titlePattern.FindSubmatch(body); match != nil {
		if title := pageText(match[1], maxTitleBytes, secrets); title != "" {
			return pageSummary{title: title}
		}
	}

	for _, hidden := range hiddenPatterns {
		body = hidden.ReplaceAll(body, []byte(" "))
	}
	return pageSummary{text: pageText(tagPattern.ReplaceAll(body, []byte(" ")), maxPageTextBytes, secrets)}
}

// pageText decodes the entities of markup-free text, collapses its
// whitespace, redacts the secrets and cuts it to limit bytes.
func pageText(raw []byte, limit int, secrets []string) string {
	text := strings.Join(strings.Fields(html.UnescapeString(string(raw))), " ")
	text = outbound.Redact(strings.ToValidUTF8(text, ""), secrets...)
	return truncate(text, limit)
}
