package credential

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// Hint returns the next step after err, like HintFor, for a datasource whose
// authentication is not known, so its advice about credentials fits any
// mode.
func Hint(err error) string {
	return hint(err, nil)
}

// HintFor returns the next step an admin should take after err, on a
// datasource with authentication a, or "" when there is none to add to the
// error's own message. It covers token endpoint errors (Entra ID codes and
// RFC 6749 codes), API errors about credentials and permissions, invalid
// token responses, blocked addresses, and connection, DNS, TLS and timeout
// failures.
func HintFor(err error, a fieldlink.Auth) string {
	if a.Mode == "" {
		a.Mode = fieldlink.AuthNone
	}
	return hint(err, &a)
}

// hint returns the next step after err. A nil auth means the mode is not
// known.
func hint(err error, auth *fieldlink.Auth) string {
	if err == nil {
		return ""
	}

	var tokenErr *TokenError
	if errors.As(err, &tokenErr) {
		return tokenErrorHint(tokenErr, auth)
	}

	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErrorHint(apiErr, auth)
	}

	var page *HTMLPageError
	if errors.As(err, &page) {
		return "An HTML page came back in place of a token. Check that the token URL is the OAuth 2 token endpoint (for Entra ID it ends in /oauth2/v2.0/token), and that no proxy or captive portal on this server's network intercepts requests to it."
	}

	var expiresInErr *ExpiresInError
	if errors.As(err, &expiresInErr) {
		return "The token endpoint sent an expires_in that is not a number of seconds, which RFC 6749 requires. Report it to the authorization server's vendor; fieldlink cannot tell how long the token lives."
	}

	return transportHint(err)
}

func transportHint(err error) string {
	var blocked *outbound.AddressError
	if errors.As(err, &blocked) {
		switch {
		case blocked.Setting == "" && blocked.DatasourceSetting == "":
			return "The host resolves to an address fieldlink never connects to. Use the API's own host name."
		case blocked.DatasourceSetting == "":
			return "If the API really runs at this address, start fieldlink with " + blocked.Setting + ". Otherwise correct the host in the URL."
		}
		return "If the API really runs at this address, turn on the datasource's " + blocked.DatasourceSetting + " setting, or start fieldlink with " + blocked.Setting + " to allow it for every datasource. Otherwise correct the host in the URL."
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

	// A server that requires a client certificate ends the handshake with a
	// TLS alert, which crypto/tls returns without an exported type.
	if msg := err.Error(); strings.Contains(msg, "tls: certificate required") || strings.Contains(msg, "tls: bad certificate") || strings.Contains(msg, "tls: unknown certificate authority") {
		return "The server rejected the TLS client certificate or expects one. Set the TLS client certificate and key that the server trusts, in auth.tlsClientCertificate and auth.tlsClientKey."
	}

	var unknownAuthority x509.UnknownAuthorityError
	if errors.As(err, &unknownAuthority) {
		return "The server's certificate is not issued by an authority this server trusts. If the API uses a private CA, paste that CA's certificate into the datasource's caBundle; otherwise check that the URL points at the API's real host."
	}

	if isTLSError(err) {
		return "The TLS handshake failed. Check that the URL uses https only where the server speaks TLS, and that the server's certificate is valid for this host and issued by a trusted authority, or by a CA in the datasource's caBundle."
	}

	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return "The request timed out. Check that this server can reach the host (firewall or proxy rules), or raise the datasource's timeoutSeconds or connectTimeoutSeconds."
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
