package credential

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/fieldlink/fieldlink/outbound"
)

// Entra ID error codes (AADSTS numbers) that Hint explains, from Microsoft's
// "Microsoft Entra authentication and authorization error codes" reference.
const (
	entraInvalidSecret       = 7000215 // the secret does not match; often the secret ID was entered
	entraSecretMissing       = 7000216 // client_credentials grant without client_secret or client_assertion
	entraSecretMissingInBody = 7000218 // request body without client_secret or client_assertion
	entraSecretExpired       = 7000222
	entraAppNotFound         = 700016 // no application with the client ID in the tenant
	entraTenantNotFound      = 90002
	entraScopeNotDefault     = 1002012 // client credentials need a scope ending in /.default
	entraInvalidScope        = 70011
	entraResourceNotFound    = 500011 // the scope names a resource that is not in the tenant
)

// entraHints maps Entra ID error codes to the next step, in the order Hint
// tries them.
var entraHints = []struct {
	code int
	hint string
}{
	{entraInvalidSecret, "The client secret is wrong. In Entra ID, open App registrations > your app > Certificates & secrets and copy the secret's Value, not its Secret ID. The Value is shown only when the secret is created, so create a new secret if you no longer have it."},
	{entraSecretExpired, "The client secret has expired. In Entra ID, open App registrations > your app > Certificates & secrets, create a new client secret and paste its Value here."},
	{entraSecretMissing, "The token request carried no client secret. Enter the secret's Value from Certificates & secrets in the client secret field."},
	{entraSecretMissingInBody, "The token request carried no client secret in the form body. Enter the secret's Value from Certificates & secrets, or set client authentication to body if it is set to header."},
	{entraAppNotFound, "No application with this client ID exists in the tenant of the token URL. Copy the Application (client) ID from the app's Overview page, and check that the tenant ID in the token URL is the one where the app is registered."},
	{entraTenantNotFound, "The tenant in the token URL does not exist. Copy the token endpoint from the app's Overview > Endpoints page, or check the Directory (tenant) ID in it."},
	{entraScopeNotDefault, "Client credentials need a scope that ends in /.default. For Microsoft Graph use https://graph.microsoft.com/.default."},
	{entraInvalidScope, "The scope is not valid for client credentials. For Microsoft Graph use https://graph.microsoft.com/.default, and remove openid, profile and offline_access."},
	{entraResourceNotFound, "The scope names an API that the tenant does not know. For Microsoft Graph use https://graph.microsoft.com/.default, or check the Application ID URI of your own API."},
}

// oauthHints maps RFC 6749 §5.2 error codes to the next step, for token
// endpoints that send none of the Entra ID codes in entraHints.
var oauthHints = map[string]string{
	"invalid_client":         "The token endpoint rejected the client ID or secret. Check both, and check that client authentication (header or body) matches what the authorization server expects for this client.",
	"invalid_scope":          "The token endpoint rejected the scope. Enter the scopes the API documents for the client credentials grant.",
	"unauthorized_client":    "The client may not use the client credentials grant. Allow that grant for the client at the authorization server.",
	"unsupported_grant_type": "The token endpoint does not support the client credentials grant. Check that the token URL is the OAuth 2 token endpoint.",
	"invalid_request":        "The token endpoint rejected the request as malformed. Check the token URL, the client ID and the client authentication setting.",
	"invalid_grant":          "The token endpoint rejected the grant. Check the client's configuration at the authorization server.",
}

// Hint returns the next step an admin should take after err, or "" when
// there is none to add to the error's own message. It covers token endpoint
// errors (Entra ID codes and RFC 6749 codes), API errors about credentials
// and permissions, blocked addresses, and connection, DNS, TLS and timeout
// failures.
func Hint(err error) string {
	if err == nil {
		return ""
	}

	var tokenErr *TokenError
	if errors.As(err, &tokenErr) {
		return tokenErrorHint(tokenErr)
	}

	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErrorHint(apiErr)
	}

	return transportHint(err)
}

func tokenErrorHint(e *TokenError) string {
	for _, h := range entraHints {
		if e.HasErrorCode(h.code) {
			return h.hint
		}
	}
	if hint, ok := oauthHints[e.Code]; ok {
		return hint
	}

	switch {
	case e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed:
		return "The token URL does not accept token requests. Copy the OAuth 2 token endpoint from the provider's documentation; for Entra ID it ends in /oauth2/v2.0/token."
	case e.Status >= 500:
		return "The token endpoint failed on its side. Try again later, and check the provider's status page if it keeps failing."
	}
	return ""
}

func apiErrorHint(e *APIError) string {
	switch {
	case e.Status == http.StatusUnauthorized && e.Code == "InvalidAuthenticationToken":
		return "Microsoft Graph rejected the access token. Check that the scope is https://graph.microsoft.com/.default and that the token URL's tenant is the tenant whose data you query."
	case e.Status == http.StatusUnauthorized:
		return "The API rejected the credentials. Check them, and for OAuth 2 check that the scope names this API."
	case e.Status == http.StatusForbidden && e.Code == "Authorization_RequestDenied":
		return "The app lacks a permission for this request. In Entra ID, open App registrations > your app > API permissions, add the Microsoft Graph application permission the request needs (for example User.Read.All), then press \"Grant admin consent\"."
	case e.Status == http.StatusForbidden:
		return "The API refused the request with these credentials. Grant the account or app the permission this request needs."
	case e.Status == http.StatusNotFound:
		return "The API has nothing at this path. Check the base URL and the test path against the API's documentation."
	case e.Status == http.StatusTooManyRequests:
		return "The API is throttling requests. Wait and try again."
	case e.Status >= 500:
		return "The API failed on its side. Try again later."
	}
	return ""
}

func transportHint(err error) string {
	var blocked *outbound.AddressError
	if errors.As(err, &blocked) {
		if blocked.Setting == "" {
			return "The host resolves to an address fieldlink never connects to. Use the API's own host name."
		}
		return "If the API really runs at this address, start fieldlink with " + blocked.Setting + ". Otherwise correct the host in the URL."
	}

	var tooLarge *outbound.ResponseTooLargeError
	if errors.As(err, &tooLarge) {
		return "Request less data, for example with $select and $top or the API's own paging parameters."
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return "The host name does not exist. Check its spelling in the URL."
		}
		return "The host name could not be resolved. Check the spelling and that this server's DNS resolver works."
	}

	if errors.Is(err, syscall.ECONNREFUSED) {
		return "Nothing accepts connections at this host and port. Check the port in the URL and that the service is running."
	}

	// net/http returns this error as text only, without a type to match.
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return "The server answered in plain HTTP to a TLS request. Use http:// in the URL only if the server really has no TLS, or point it at the server's https port."
	}

	if isTLSError(err) {
		return "The TLS handshake failed. Check that the URL uses https only where the server speaks TLS, and that the server's certificate is valid for this host and issued by a trusted authority."
	}

	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return "The request timed out. Check that this server can reach the host (firewall or proxy rules), or raise the datasource's timeout."
	}

	if errors.Is(err, ErrInvalidTokenResponse) {
		return "The token URL answered with something other than an OAuth 2 token. Check that it is the token endpoint, not a sign-in or authorize page; for Entra ID it ends in /oauth2/v2.0/token."
	}
	return ""
}

func isTLSError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
		recordHeader     tls.RecordHeaderError
	)
	return errors.As(err, &unknownAuthority) ||
		errors.As(err, &hostname) ||
		errors.As(err, &invalid) ||
		errors.As(err, &verification) ||
		errors.As(err, &recordHeader)
}
