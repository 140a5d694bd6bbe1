package credential

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/fieldlink/fieldlink/outbound"
)

// TokenError is an error response from a token endpoint: the parameters of
// RFC 6749 §5.2 and the fields Microsoft Entra ID adds to them.
type TokenError struct {
	// Status is the HTTP status code of the response.
	Status int
	// Code is the RFC 6749 error code, such as "invalid_client". It is empty
	// when the response was not an OAuth 2 error response.
	Code string
	// Description is the error_description, or an excerpt of the body when
	// the response was not an OAuth 2 error response. Secrets are redacted.
	Description string
	// ErrorCodes are Entra ID's AADSTS numbers, such as 7000215.
	ErrorCodes []int
	// TraceID, CorrelationID and Timestamp identify the failed request to
	// Microsoft support.
	TraceID, CorrelationID, Timestamp string
	// TokenURL is the token endpoint, without a password.
	TokenURL string
	// HTMLPage reports whether the body was an HTML page, such as a proxy's
	// error page, in place of a JSON error. Description then quotes the
	// page's title or text in place of an excerpt of its markup.
	HTMLPage bool
}

// Error names the token request that failed and the endpoint's description.
func (e *TokenError) Error() string {
	msg := fmt.Sprintf("token request to %s failed with status %d", e.TokenURL, e.Status)
	if text := http.StatusText(e.Status); text != "" {
		msg += " " + text
	}
	if e.Code != "" {
		msg += ": " + e.Code
	}

	// Entra ID appends trace lines after the first line of its description,
	// and TraceID and CorrelationID carry them.
	summary, _, _ := strings.Cut(e.Description, "\n")
	if summary = outbound.Excerpt([]byte(summary)); summary != "" {
		msg += ": " + summary
	}
	return msg
}

// HasErrorCode reports whether the token endpoint sent the Entra ID error
// code among ErrorCodes, or as an "AADSTS" prefix of the description.
func (e *TokenError) HasErrorCode(code int) bool {
	for _, c := range e.ErrorCodes {
		if c == code {
			return true
		}
	}
	return strings.HasPrefix(e.Description, fmt.Sprintf("AADSTS%d:", code))
}

// tokenErrorBody is the JSON error response of a token endpoint.
type tokenErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	Timestamp        string `json:"timestamp"`
}

// decodeTokenError builds a *TokenError from the oauth2 package's error,
// reading Entra ID's fields from the response body. The secret is redacted
// from the error code and the description in case an endpoint echoes it.
func decodeTokenError(retrieveErr *oauth2.RetrieveError, tokenURL, secret string) *TokenError {
	tokenErr := &TokenError{
		Code:        outbound.Redact(retrieveErr.ErrorCode, secret),
		Description: outbound.Redact(retrieveErr.ErrorDescription, secret),
		TokenURL:    tokenURL,
	}
	if retrieveErr.Response != nil {
		tokenErr.Status = retrieveErr.Response.StatusCode
	}

	var body tokenErrorBody
	if err := json.Unmarshal(retrieveErr.Body, &body); err == nil {
		tokenErr.ErrorCodes = body.ErrorCodes
		tokenErr.TraceID = body.TraceID
		tokenErr.CorrelationID = body.CorrelationID
		tokenErr.Timestamp = body.Timestamp
	}

	if tokenErr.Code != "" || tokenErr.Description != "" {
		return tokenErr
	}

	contentType := ""
	if retrieveErr.Response != nil {
		contentType = retrieveErr.Response.Header.Get("Content-Type")
	}
	if isHTMLPage(contentType, retrieveErr.Body) {
		// An excerpt of the markup would show the page's head, style and
		// scripts, and rarely a word of the error.
		tokenErr.HTMLPage = true
		tokenErr.Description = fmt.Sprintf("the response is %s, not JSON, as a proxy or gateway sends", summarizePage(retrieveErr.Body, secret))
		return tokenErr
	}
	tokenErr.Description = outbound.Excerpt(retrieveErr.Body, secret)
	return tokenErr
}
