package credential

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// apiErrorHint returns the next step after an API error response. Hints
// about 401 and 403 depend on the authentication mode: Microsoft Graph's
// codes only explain an OAuth 2 token, while a rejected password or API key
// needs its own advice. A nil a, for an unknown mode, gives advice for any
// mode.
func apiErrorHint(e *APIError, a *fieldlink.Auth) string {
	if a == nil {
		return anyModeAPIHint(e)
	}

	switch {
	case e.Status == http.StatusUnauthorized:
		return unauthorizedHint(e, a)
	case e.Status == http.StatusForbidden:
		return forbiddenHint(e, a)
	case e.Status == http.StatusNotFound:
		return "The API has nothing at this path. Check the base URL and the test path against the API's documentation."
	case e.Status == http.StatusTooManyRequests:
		return "The API is throttling requests. Wait and try again."
	case e.Status >= 500:
		return "The API failed on its side. Try again later."
	}
	return ""
}

func unauthorizedHint(e *APIError, a *fieldlink.Auth) string {
	switch a.Mode {
	case fieldlink.AuthOAuth2ClientCredentials:
		if e.Code == "InvalidAuthenticationToken" {
			return "Microsoft Graph rejected the access token. Check that the scope is https://graph.microsoft.com/.default and that the token URL's tenant is the tenant whose data you query."
		}
		return "The API rejected the access token. Check that the scope names this API, so the token's audience is this API, and that the token URL belongs to the API's authorization server."
	case fieldlink.AuthBasic:
		return basicUnauthorizedHint(e, a)
	case fieldlink.AuthBearer:
		return "The API rejected the saved bearer token. It may have expired or been revoked: create a new token and save it here. If the API issues tokens from a token endpoint, use oauth2-client-credentials so fieldlink fetches them."
	case fieldlink.AuthAPIKey:
		place := "header"
		if a.APIKeyIn == fieldlink.APIKeyInQuery {
			place = "query parameter"
		}
		return "The API rejected the API key sent in the " + place + " " + strconv.Quote(a.APIKeyName) + ". Check the key, and check in the API's documentation that it expects the key under that name."
	case fieldlink.AuthNone:
		return "The API requires authentication, and requests carry none. Choose the authentication mode that the API's documentation names."
	}
	return ""
}

// basicUnauthorizedHint distinguishes a rejected Jira API token from Basic
// credentials sent to an API that does not take them at all, such as
// Microsoft Graph, which wants OAuth 2 access tokens.
func basicUnauthorizedHint(e *APIError, a *fieldlink.Auth) string {
	user := strconv.Quote(a.Username)
	switch {
	case e.Code == "InvalidAuthenticationToken":
		return "This API takes OAuth 2 access tokens, not a user name and password. For Microsoft Graph choose oauth2-client-credentials with an app registration's client ID and secret or certificate."
	case isJira(e):
		return "Jira rejected the email and API token of " + user + ". Check that the user name is the account's email address, that the API token is current (not revoked or expired) and belongs to that account, and that it is an API token from id.atlassian.com, not the account password."
	}
	return "The API rejected the user name and password of " + user + ". Check both; some cloud APIs take an API token in place of the account password."
}

// isJira reports whether an API error came from Jira, judged by its REST
// path or by the messages Jira Cloud returns for a rejected login.
func isJira(e *APIError) bool {
	text := e.Message + " " + e.Excerpt
	return strings.Contains(e.Target, "/rest/api/") ||
		strings.Contains(text, "Basic authentication with passwords is deprecated") ||
		strings.Contains(text, "Client must be authenticated to access this resource")
}

func forbiddenHint(e *APIError, a *fieldlink.Auth) string {
	switch a.Mode {
	case fieldlink.AuthOAuth2ClientCredentials:
		if e.Code == "Authorization_RequestDenied" {
			return graphPermissionHint
		}
		return "The API accepted the access token but refused this request. Grant the app the permission the request needs; for Entra ID, add an application permission and grant admin consent."
	case fieldlink.AuthBasic:
		return "The API accepted user " + strconv.Quote(a.Username) + " but refused this request. Grant the user the permission the request needs, or use an account that has it."
	case fieldlink.AuthBearer, fieldlink.AuthAPIKey:
		return "The API accepted the credentials but refused this request. Give the token or key the permission or scope the request needs, or create one that has it."
	case fieldlink.AuthNone:
		return "The API refused the request without credentials. Choose the authentication mode that the API's documentation names."
	}
	return ""
}

// anyModeAPIHint returns the hint for a 401 or 403 when the authentication
// mode is not known, and the mode-independent hints otherwise.
func anyModeAPIHint(e *APIError) string {
	switch {
	case e.Status == http.StatusUnauthorized && e.Code == "InvalidAuthenticationToken":
		return "Microsoft Graph rejected the access token. Check that the scope is https://graph.microsoft.com/.default and that the token URL's tenant is the tenant whose data you query."
	case e.Status == http.StatusUnauthorized:
		return "The API rejected the credentials. Check them, and for OAuth 2 check that the scope names this API."
	case e.Status == http.StatusForbidden && e.Code == "Authorization_RequestDenied":
		return graphPermissionHint
	case e.Status == http.StatusForbidden:
		return "The API refused the request with these credentials. Grant the account or app the permission this request needs."
	}
	return apiErrorHint(e, &fieldlink.Auth{})
}

// graphPermissionHint explains Microsoft Graph's 403
// Authorization_RequestDenied to an app-only token.
const graphPermissionHint = "The app lacks a permission for this request. In Entra ID, open App registrations > your app > API permissions, add the Microsoft Graph application permission the request needs (for example User.Read.All), then press \"Grant admin consent\"."
