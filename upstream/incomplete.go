package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink/outbound"
)

// IncompleteResponseError reports a response whose body ended early. Either
// the connection closed or timed out before the whole body arrived, or a
// 2xx body with a JSON Content-Type stops in the middle of the document, as
// when a proxy or gateway cuts it. Do retries a GET that meets it, like a
// connection error.
//
// It implements net.Error, because a body cut short is a failure of the
// network path rather than an answer of the API, so callers that retry
// network failures later retry it too.
type IncompleteResponseError struct {
	// Method and URL name the request, with secrets redacted from the URL.
	Method, URL string
	// Status is the response's HTTP status code.
	Status int
	// Received is the number of body bytes that arrived.
	Received int
	// Expected is the Content-Length the response declared, or -1 when it
	// declared none.
	Expected int64
	// Err is the error that ended the read, or nil for a JSON body that
	// arrived whole by HTTP's count but stops mid-document.
	Err error
}

// Error names the request, the status and how much of the body arrived.
func (e *IncompleteResponseError) Error() string {
	status := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	if e.Err == nil {
		return fmt.Sprintf("%s %s returned %s with a JSON body that stops after %d bytes, in the middle of the document: the API or a proxy cut the response short",
			e.Method, e.URL, status, e.Received)
	}

	received := fmt.Sprintf("%d bytes", e.Received)
	if e.Expected >= 0 {
		received = fmt.Sprintf("%d of %d bytes", e.Received, e.Expected)
	}
	ended := "the connection closed"
	if e.Timeout() {
		ended = "the request timed out"
	}
	return fmt.Sprintf("%s %s returned %s, but %s after %s of the body (%v)", e.Method, e.URL, status, ended, received, e.Err)
}

// Unwrap returns the error that ended the read, if any.
func (e *IncompleteResponseError) Unwrap() error { return e.Err }

// Timeout reports whether the read ended because a deadline passed.
func (e *IncompleteResponseError) Timeout() bool {
	var netErr net.Error
	return errors.Is(e.Err, context.DeadlineExceeded) || errors.As(e.Err, &netErr) && netErr.Timeout()
}

// Temporary reports true: a response cut short may arrive whole when the
// request is sent again. It completes the net.Error interface.
func (e *IncompleteResponseError) Temporary() bool { return true }

// readBody reads resp's body in full. A read that ends with an error other
// than the size limit's, and a 2xx JSON body that stops mid-document, fail
// with *IncompleteResponseError. displayURL returns the redacted URL.
func readBody(method string, displayURL func() string, resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(resp.Body)

	var tooLarge *outbound.ResponseTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("read response of %s %s: %w", method, displayURL(), err)
	case err != nil:
		return nil, &IncompleteResponseError{Method: method, URL: displayURL(), Status: resp.StatusCode,
			Received: len(body), Expected: resp.ContentLength, Err: err}
	case resp.StatusCode/100 == 2 && isJSONType(resp.Header.Get("Content-Type")) && endsMidJSON(body):
		return nil, &IncompleteResponseError{Method: method, URL: displayURL(), Status: resp.StatusCode,
			Received: len(body), Expected: resp.ContentLength}
	}
	return body, nil
}

// isJSONType reports whether a Content-Type names JSON: application/json or
// a media type with the +json suffix (RFC 6839 §3.1), with any parameters.
func isJSONType(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// endsMidJSON reports whether body starts a JSON document and ends before
// the document does. An empty body, a whole document and text that is not
// JSON at all report false, so the caller's own checks name them.
func endsMidJSON(body []byte) bool {
	if len(bytes.TrimSpace(body)) == 0 || json.Valid(body) {
		return false
	}
	var doc json.RawMessage
	err := json.NewDecoder(bytes.NewReader(body)).Decode(&doc)
	return errors.Is(err, io.ErrUnexpectedEOF)
}
