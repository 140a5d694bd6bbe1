package credential

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
)

// Entra ID error codes (AADSTS numbers) that HintFor explains, from
// Microsoft's "Microsoft Entra authentication and authorization error codes"
// reference and the descriptions Entra ID sends with them.
const (
	entraInvalidSecret       = 7000215 // the secret does not match; often the secret ID was entered
	entraSecretMissing       = 7000216 // client_credentials grant without client_secret or client_assertion
	entraSecretMissingInBody = 7000218 // request body without client_secret or client_assertion
	entraSecretExpired       = 7000222
	entraAppNotFound         = 700016 // no application with the client ID in the tenant
	entraTenantNotFound      = 90002
	entraScopeNotDefault     = 1002012 // client credentials need a scope ending in /.default
	entraInvalidScope        = 70011
	entraResourceNotFound    = 500011  // the scope names a resource that is not in the tenant
	entraResourceParameter   = 901002  // "The 'resource' request parameter isn't supported" (v2.0 endpoint)
	entraTenantNotAllowed    = 9001023 // the grant is not supported over /common or /consumers
	entraNoTenant            = 50059   // client credentials sent to /common or /organizations
	entraAssertionSignature  = 700027  // no certificate of the app verifies the client assertion
	entraAssertionTime       = 700024  // client assertion outside its nbf..exp range
	entraParameterMissing    = 900144  // "The request body must contain the following parameter: 'scope'."
)

// entraHints maps Entra ID error codes to the next step, in the order
// tokenErrorHint tries them. The codes whose hint depends on the request are
// handled in entraRequestHint first.
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
	{entraNoTenant, "The token URL names common or organizations in place of a tenant, so Entra ID cannot tell which tenant the app belongs to. Put the Directory (tenant) ID or the tenant's primary domain (such as contoso.onmicrosoft.com) in the token URL: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token."},
	{entraTenantNotAllowed, "The token URL names common, organizations or consumers in place of a tenant, and Entra ID issues app-only tokens only from a tenant's own endpoint. Put the Directory (tenant) ID or the tenant's primary domain (such as contoso.onmicrosoft.com) in the token URL: https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token."},
	{entraAssertionSignature, "Entra ID could not verify the client assertion with any certificate of the app. In App registrations > your app > Certificates & secrets > Certificates, upload this certificate (its public part, as .cer or .pem), and check that the private key entered here belongs to it."},
	{entraAssertionTime, "Entra ID rejected the client assertion's time range (nbf to exp), so this server's clock is probably wrong. Synchronize the clock (NTP) and try again."},
	{entraScopeNotDefault, "Client credentials need a scope that ends in /.default. For Microsoft Graph use https://graph.microsoft.com/.default."},
	{entraInvalidScope, "The scope is not valid for client credentials. For Microsoft Graph use https://graph.microsoft.com/.default, and remove openid, profile and offline_access."},
	{entraResourceNotFound, "The scope names an API that the tenant does not know. For Microsoft Graph use https://graph.microsoft.com/.default, or check the Application ID URI of your own API."},
}

// oauthHints maps RFC 6749 §5.2 error codes to the next step, for token
// endpoints that send none of the Entra ID codes in entraHints. The hint for
// invalid_client depends on the client authentication, so invalidClientHint
// writes it.
var oauthHints = map[string]string{
	"invalid_scope":          "The token endpoint rejected the scope. Enter the scopes the API documents for the client credentials grant.",
	"unauthorized_client":    "The client may not use the client credentials grant. Allow that grant for the client at the authorization server.",
	"unsupported_grant_type": "The token endpoint does not support the client credentials grant. Check that the token URL is the OAuth 2 token endpoint.",
	"invalid_request":        "The token endpoint rejected the request as malformed. Check the token URL, the client ID and the client authentication setting.",
	"invalid_grant":          "The token endpoint rejected the grant. Check the client's configuration at the authorization server.",
	"invalid_resource":       "The token endpoint does not know the requested resource. Check the resource or audience token parameter against the API's documentation.",
}

func tokenErrorHint(e *TokenError, a *fieldlink.Auth) string {
	if hint := entraRequestHint(e, a); hint != "" {
		return hint
	}
	for _, h := range entraHints {
		if e.HasErrorCode(h.code) {
			return h.hint
		}
	}

	if e.Code == "invalid_client" {
		return invalidClientHint(a)
	}
	if hint, ok := oauthHints[e.Code]; ok {
		return hint
	}

	switch {
	case e.HTMLPage && e.Status >= 500:
		return "An HTML error page came back in place of the token endpoint's JSON, so a proxy or gateway between this server and the token endpoint probably failed. Check the proxy, and try again later."
	case e.Status == http.StatusNotFound || e.Status == http.StatusMethodNotAllowed:
		return "The token URL does not accept token requests. Copy the OAuth 2 token endpoint from the provider's documentation; for Entra ID it ends in /oauth2/v2.0/token."
	case e.Status >= 500:
		return "The token endpoint failed on its side. Try again later, and check the provider's status page if it keeps failing."
	}
	return ""
}

// entraRequestHint returns the hint for the Entra ID codes whose next step
// names a value of the request: the resource to turn into a scope, or the
// missing parameter.
func entraRequestHint(e *TokenError, a *fieldlink.Auth) string {
	switch {
	case e.HasErrorCode(entraResourceParameter):
		scope := "<resource>/.default"
		if a != nil && a.TokenParams["resource"] != "" {
			scope = strings.TrimRight(a.TokenParams["resource"], "/") + "/.default"
		}
		if a != nil && slices.Contains(a.Scopes, scope) {
			return fmt.Sprintf("The v2.0 token endpoint does not accept a resource parameter. Remove resource from the token parameters: the scope %s already names the resource.", scope)
		}
		return fmt.Sprintf("The v2.0 token endpoint does not accept a resource parameter. Remove resource from the token parameters and add the scope %s instead.", scope)

	case e.HasErrorCode(entraInvalidSecret) && a != nil && !a.SecretExpiresAt.IsZero() && a.SecretExpiresAt.Before(time.Now()):
		return fmt.Sprintf("The client secret expired on %s (auth.secretExpiresAt). In Entra ID, open App registrations > your app > Certificates & secrets, create a new secret, and save its Value here.", a.SecretExpiresAt.UTC().Format(time.DateOnly))

	case e.HasErrorCode(entraAssertionSignature) && a != nil && a.ClientCertificate != "":
		certs, err := parseCertificates(a.ClientCertificate)
		if err != nil {
			return ""
		}
		return fmt.Sprintf("Entra ID could not verify the client assertion with any certificate of the app. In App registrations > your app > Certificates & secrets > Certificates, upload this certificate (its public part, as .cer or .pem); the portal lists it by the SHA-1 thumbprint %s. Also check that the private key entered here belongs to it.", sha1Thumbprint(certs[0]))

	case e.HasErrorCode(entraParameterMissing):
		return missingParameterHint(missingParameter(e.Description))
	}
	return ""
}

// missingParameterPattern finds the parameter name in Entra ID's 900144
// description, "The request body must contain the following parameter:
// 'scope'."
var missingParameterPattern = regexp.MustCompile(`following parameter: '([^']+)'`)

func missingParameter(description string) string {
	match := missingParameterPattern.FindStringSubmatch(description)
	if match == nil {
		return ""
	}
	return match[1]
}

func missingParameterHint(name string) string {
	switch name {
	case "scope":
		return "The token request had no scope, which Entra ID requires. Add the scope https://graph.microsoft.com/.default for Microsoft Graph, or the Application ID URI of your own API followed by /.default."
	case "client_id":
		return "The token request had no client ID. Enter the Application (client) ID from the app's Overview page."
	case "client_secret", "client_assertion":
		return "The token request carried neither a client secret nor a client assertion. Enter the secret's Value from Certificates & secrets, or choose private_key_jwt with a certificate."
	case "":
		return "The token request lacked a parameter that Entra ID requires; the error message names it. Add it to the token parameters if no other setting sends it."
	}
	return fmt.Sprintf("The token request lacked the parameter %q that Entra ID requires. Add it to the token parameters.", name)
}

// invalidClientHint explains a generic invalid_client, which any OAuth 2
// server returns for a wrong client ID or secret and for a client
// authentication method that the client is not registered for. It names the
// method used and suggests the other. A nil a gives the advice for any
// method.
func invalidClientHint(a *fieldlink.Auth) string {
	if a == nil {
		a = &fieldlink.Auth{}
	}

	switch a.ClientAuthentication {
	case fieldlink.ClientAuthHeader:
		return "The token endpoint rejected the client. Client authentication is header (client_secret_basic: client ID and secret in an HTTP Basic Authorization header). Check the client ID and secret; if both are right, set client authentication to body (client_secret_post), which some servers require."
	case fieldlink.ClientAuthBody:
		return "The token endpoint rejected the client. Client authentication is body (client_secret_post: client_id and client_secret form parameters). Check the client ID and secret; if both are right, set client authentication to header (client_secret_basic), the RFC 6749 default that some servers require."
	case fieldlink.ClientAuthPrivateKeyJWT:
		thumbprint := ""
		if cert := assertionCertificate(*a); cert != nil {
			thumbprint = " (thumbprint " + sha1Thumbprint(cert) + ")"
		}
		return "The token endpoint rejected the client. Client authentication is private_key_jwt (a client assertion signed with the certificate's private key). Check the client ID, and that the server has this certificate" + thumbprint + " registered for the client; if the client is registered with a secret instead, set client authentication to header or body and enter the secret."
	}
	return "The token endpoint rejected the client ID or secret. Check both, and check that client authentication (header or body) matches what the authorization server expects for this client."
}

// assertionCertificate returns the certificate of a's client assertion key,
// or the first certificate when the key does not parse or match, or nil.
func assertionCertificate(a fieldlink.Auth) *x509.Certificate {
	certs, err := parseCertificates(a.ClientCertificate)
	if err != nil {
		return nil
	}
	if key, err := parsePrivateKey(a.ClientPrivateKey); err == nil {
		if cert := matchingCertificate(certs, key); cert != nil {
			return cert
		}
	}
	return certs[0]
}
