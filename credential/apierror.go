package credential

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/fieldlink/fieldlink/outbound"
)

// APIError is an error response from a datasource's API, which Hint turns
// into the next step when it is about credentials or permissions.
type APIError struct {
	// Method and Target name the request, with the query left out.
	Method, Target string
	// Status is the HTTP status code of the response.
	Status int
	// Code and Message are the API's error code and message, when the body
	// has a known shape.
	Code, Message string
	// Excerpt is the start of the body with credentials redacted.
	Excerpt string
}

// NewAPIError decodes an error response with the given status and body. It
// reads the shape Microsoft Graph uses, {"error": {"code", "message"}}, and
// the flat {"error", "error_description" or "message"} shape of many others.
// Each of secrets is redacted from the message and the excerpt.
func NewAPIError(method, target string, status int, body []byte, secrets ...string) *APIError {
	apiErr := &APIError{
		Method:  method,
		Target:  target,
		Status:  status,
		Excerpt: outbound.Excerpt(body, secrets...),
	}

	var nested struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	var flat struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		Message          string `json:"message"`
	}
	switch {
	case json.Unmarshal(body, &nested) == nil && nested.Error.Code != "":
		apiErr.Code = nested.Error.Code
		apiErr.Message = nested.Error.Message
	case json.Unmarshal(body, &flat) == nil && (flat.Error != "" || flat.Message != ""):
		apiErr.Code = flat.Error
		apiErr.Message = flat.ErrorDescription
		if apiErr.Message == "" {
			apiErr.Message = flat.Message
		}
	}
	apiErr.Message = outbound.Excerpt([]byte(apiErr.Message), secrets...)
	return apiErr
}

// Error names the request and the status, with the API's code and message,
// or an excerpt of the body when the body has no known shape.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s returned %d %s", e.Method, e.Target, e.Status, http.StatusText(e.Status))

	switch {
	case e.Code != "" && e.Message != "":
		msg += ": " + e.Code + ": " + e.Message
	case e.Code != "":
		msg += ": " + e.Code
	case e.Message != "":
		msg += ": " + e.Message
	case e.Excerpt != "":
		msg += ": " + e.Excerpt
	}
	return msg
}
