package entra

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// AADSTS codes the token endpoint returns. Each error response names one in
// error_codes and starts its error_description with "AADSTS" and the code.
const (
	CodeTenantNotFound          = 90002
	CodeMissingParameter        = 900144
	CodeMethodNotAllowed        = 900561
	CodeUnsupportedGrantType    = 70003
	CodeInvalidScope            = 70011
	CodeApplicationNotFound     = 700016
	CodeClientSecretMissing     = 7000216
	CodeInvalidClientSecret     = 7000215
	CodeClientSecretExpired     = 7000222
	CodeScopeWithoutDefault     = 1002012
	CodeResourcePrincipalAbsent = 500011

	CodeTenantNotIdentified     = 50059
	CodeResourceParameter       = 901002
	CodeMalformedRequest        = 9002313
	CodeUnexpectedAssertionType = 90011
	CodeInvalidJWT              = 50027
	CodeUnsupportedAlgorithm    = 5002738
	CodeUnsupportedKey          = 5002730
	CodeSubjectMismatchesIssuer = 50048
	CodeAssertionClientMismatch = 700021
	CodeAssertionAudience       = 700023
	CodeAssertionTimeRange      = 700024
	CodeAssertionSignature      = 700027
	CodeAssertionAlreadyUsed    = 50013

	// The codes of the server errors that ServerErrorNext queues, which
	// the emulator chose (see serverError).
	CodeServerError        = 50000
	CodeServiceUnavailable = 90033
)

// errorTitles holds the short description the /error page shows per code.
var errorTitles = map[int]string{
	CodeTenantNotFound:          "Tenant not found.",
	CodeMissingParameter:        "A required request parameter is missing.",
	CodeMethodNotAllowed:        "The token endpoint only accepts POST requests.",
	CodeUnsupportedGrantType:    "The grant type is not supported.",
	CodeInvalidScope:            "The scope parameter is not valid.",
	CodeApplicationNotFound:     "The application was not found in the tenant.",
	CodeClientSecretMissing:     "The client credentials grant requires a client secret or assertion.",
	CodeInvalidClientSecret:     "The client secret is not valid.",
	CodeClientSecretExpired:     "The client secret has expired.",
	CodeScopeWithoutDefault:     "Client credential scopes must end with /.default.",
	CodeResourcePrincipalAbsent: "The resource was not found in the tenant.",

	CodeTenantNotIdentified:     "The client credentials grant needs a tenant ID or domain in the path, not common or organizations.",
	CodeResourceParameter:       "The v2.0 token endpoint takes scope={resource}/.default, not the v1.0 resource parameter.",
	CodeMalformedRequest:        "The request is malformed or invalid.",
	CodeUnexpectedAssertionType: "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
	CodeInvalidJWT:              "The client assertion is not a valid JWT.",
	CodeUnsupportedAlgorithm:    "The client assertion is signed with an algorithm the token endpoint does not support.",
	CodeUnsupportedKey:          "The certificate's key does not fit the client assertion's signing algorithm.",
	CodeSubjectMismatchesIssuer: "The sub and iss claims of the client assertion differ.",
	CodeAssertionClientMismatch: "The sub and iss claims of the client assertion must be the client ID.",
	CodeAssertionAudience:       "The aud claim of the client assertion must be the tenant's token endpoint URL.",
	CodeAssertionTimeRange:      "The client assertion is expired, not yet valid or valid for too long.",
	CodeAssertionSignature:      "The client assertion's certificate is not registered, has expired, or did not sign it.",
	CodeAssertionAlreadyUsed:    "The client assertion's jti was already used.",

	CodeServerError:        "The token service failed to issue a token. Retry after a delay.",
	CodeServiceUnavailable: "The token service is temporarily unavailable. Retry after a delay.",
}

// tokenError is a rejection from the token endpoint: the HTTP status, the
// RFC 6749 §5.2 error code, the AADSTS code and the message after it.
type tokenError struct {
	status  int
	error   string
	code    int
	message string
}

func errTenantNotFound(tenant string) tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeTenantNotFound, fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. "+
			"Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)}
}

func errMissingParameter(name string) tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeMissingParameter, fmt.Sprintf(
		"The request body must contain the following parameter: '%s'.", name)}
}

func errMethodNotAllowed(method string) tokenError {
	return tokenError{http.StatusMethodNotAllowed, "invalid_request", CodeMethodNotAllowed, fmt.Sprintf(
		"The endpoint only accepts POST, OPTIONS requests. Received a %s request.", method)}
}

func errUnsupportedGrantType(grant string) tokenError {
	return tokenError{http.StatusBadRequest, "unsupported_grant_type", CodeUnsupportedGrantType, fmt.Sprintf(
		"The app requested an unsupported grant type '%s'.", grant)}
}

func errIncompatibleScopes(scope string) tokenError {
	return tokenError{http.StatusBadRequest, "invalid_scope", CodeInvalidScope, fmt.Sprintf(
		"The provided value for the input parameter 'scope' is not valid. One or more scopes in '%s' are not compatible with each other.", scope)}
}

func errApplicationNotFound(clientID, tenant string) tokenError {
	return tokenError{http.StatusBadRequest, "unauthorized_client", CodeApplicationNotFound, fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. "+
			"This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. "+
			"You may have sent your authentication request to the wrong tenant.", clientID, tenant)}
}

func errClientSecretMissing() tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeClientSecretMissing,
		"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."}
}

func errInvalidClientSecret() tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeInvalidClientSecret,
		"Invalid client secret is provided."}
}

// errSecretIDSent is the error Entra ID returns when the client sends the
// secret's ID in place of its value.
func errSecretIDSent(clientID string) tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeInvalidClientSecret, fmt.Sprintf(
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "+
			"not the client secret ID, for a secret added to app '%s'.", clientID)}
}

func errClientSecretExpired(clientID string) tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeClientSecretExpired, fmt.Sprintf(
		"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app, "+
			"or consider using certificate credentials for added security.", clientID)}
}

func errScopeWithoutDefault(scope string) tokenError {
	return tokenError{http.StatusBadRequest, "invalid_scope", CodeScopeWithoutDefault, fmt.Sprintf(
		"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed "+
			"to the resource identifier (application ID URI).", scope)}
}

func errResourceNotFound(resource, tenant string) tokenError {
	return tokenError{http.StatusBadRequest, "invalid_resource", CodeResourcePrincipalAbsent, fmt.Sprintf(
		"The resource principal named %s was not found in the tenant named %s. "+
			"This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. "+
			"You might have sent your authentication request to the wrong tenant.", resource, tenant)}
}

// errorBody is the JSON shape of Entra ID's token endpoint errors, in the
// order Entra ID writes the fields.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// writeError sends e in Entra ID's shape. The correlation ID is the request's
// client-request-id header when that is a GUID, as in Entra ID, and a new
// GUID otherwise. error_uri points at this emulator's own /error page.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e tokenError) {
	now := s.opts.Now().UTC()
	traceID := newGUID()
	correlationID := r.Header.Get("client-request-id")
	if !guidPattern.MatchString(correlationID) {
		correlationID = newGUID()
	}
	timestamp := now.Format(time.DateTime) + "Z"

	body := errorBody{
		Error: e.error,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.code, e.message, traceID, correlationID, timestamp),
		ErrorCodes:    []int{e.code},
		Timestamp:     timestamp,
		TraceID:       traceID,
		CorrelationID: correlationID,
		ErrorURI:      fmt.Sprintf("%s/error?code=%d", baseURL(r), e.code),
	}

	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("x-ms-request-id", traceID)
	h.Set("client-request-id", correlationID)
	if e.status == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(body)

	s.opts.Logger.Info("entra: token request rejected",
		"code", fmt.Sprintf("AADSTS%d", e.code), "error", e.error, "status", e.status, "trace_id", traceID)
}

// baseURL returns the scheme and host the request was sent to.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
