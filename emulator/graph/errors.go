package graph

import (
	"fmt"
	"net/http"
	"slices"
)

// graphError is an error response in Graph's shape: the HTTP status, Graph's
// error code and its message.
type graphError struct {
	status  int
	code    string
	message string
}

func errTokenEmpty() graphError {
	return graphError{http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty."}
}

func errTokenExpired() graphError {
	return graphError{http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."}
}

func errTokenAudience() graphError {
	return graphError{http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."}
}

func errTokenInvalid() graphError {
	return graphError{http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure."}
}

func errInsufficientPrivileges() graphError {
	return graphError{http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."}
}

func errResourceNotFound(key string) graphError {
	return graphError{http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", key)}
}

func errInvalidVersion(version string) graphError {
	return graphError{http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid version: %s", version)}
}

func errSegmentNotFound(segment string) graphError {
	return graphError{http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segment)}
}

func errMethodNotAllowed(method, path string) graphError {
	return graphError{http.StatusMethodNotAllowed, "Request_BadRequest", fmt.Sprintf(
		"The emulator serves only GET on %s, not %s.", path, method)}
}

func errUnknownProperty(name string) graphError {
	return graphError{http.StatusBadRequest, "BadRequest", fmt.Sprintf(
		"Could not find a property named '%s' on type 'microsoft.graph.user'.", name)}
}

func errSelectUnknownProperty(name string) graphError {
	e := errUnknownProperty(name)
	e.message = "Parsing OData Select and Expand failed: " + e.message
	return e
}

// NOTE: the code of Graph's invalid page size error is unconfirmed; the
// message text is Graph's.
func errPageSize(top string) graphError {
	return graphError{http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf(
		"Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", top)}
}

func errPageToken() graphError {
	return graphError{http.StatusBadRequest, "Directory_ExpiredPageToken",
		"The specified page token value has expired and can no longer be included in your request."}
}

func errQueryOption(name string) graphError {
	return graphError{http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf(
		"The query parameter '%s' is not supported.", name)}
}

func errInvalidQueryString(err error) graphError {
	return graphError{http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid query string: %v.", err)}
}

// writeError sends e in Graph's error shape, with the innerError Graph adds:
// the UTC date without a zone suffix and the request IDs.
func (s *Server) writeError(w http.ResponseWriter, ids requestIDs, e graphError) {
	s.writeErrorWithInner(w, ids, e, nil)
}

// writeErrorWithInner is writeError with the members of inner first in
// innerError.
func (s *Server) writeErrorWithInner(w http.ResponseWriter, ids requestIDs, e graphError, inner object) {
	innerError := append(slices.Clone(inner),
		member{"date", s.opts.Now().UTC().Format("2006-01-02T15:04:05")},
		member{"request-id", ids.request},
		member{"client-request-id", ids.client},
	)
	body := object{{"error", object{
		{"code", e.code},
		{"message", e.message},
		{"innerError", innerError},
	}}}

	if e.status == http.StatusUnauthorized {
		// RFC 6750 §3: a 401 names the scheme the resource accepts.
		w.Header().Set("WWW-Authenticate", `Bearer realm=""`)
	}
	s.writeJSON(w, e.status, body)

	s.opts.Logger.Info("graph: request rejected", "status", e.status, "code", e.code, "message", e.message, "request_id", ids.request)
}
