package entra

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// certificateCredentialsDocs is the page Entra ID's assertion errors point
// to. The emulator only names it, and never sends a request there.
const certificateCredentialsDocs = "https://learn.microsoft.com/entra/identity-platform/certificate-credentials"

// assertionTimeLayout is the time layout of AADSTS700024 messages: UTC with
// seven fractional digits.
const assertionTimeLayout = "2006-01-02T15:04:05.0000000Z"

// keyTimeLayout is the layout of a certificate's validity in AADSTS700027
// messages.
const keyTimeLayout = "01/02/2006 15:04:05"

// errTenantNotIdentified is Entra ID's error for a client credentials request
// sent to /common or /organizations, which name no tenant whose app could be
// signed in.
//
// NOTE: reports from 2018 say Entra ID issued a token from the app's home
// tenant for a single-tenant app on /common. The emulator always rejects.
// AADSTS9001023 is the error for grant types such as password over /common
// or /consumers, and its text sends the client to /organizations, so it does
// not fit here.
func errTenantNotIdentified() tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeTenantNotIdentified,
		"No tenant-identifying information found in either the request or implied by any provided credentials."}
}

// errResourceParameter is the v2.0 endpoint's error for the v1.0 resource
// parameter.
func errResourceParameter() tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeResourceParameter,
		"The 'resource' request parameter is not supported."}
}

// errSecretAndAssertion is the error for a request that authenticates with a
// secret and an assertion at once, which RFC 6749 §2.3 forbids.
//
// NOTE: which code Entra ID returns for this case is not confirmed. The
// emulator uses its generic malformed-request code.
func errSecretAndAssertion() tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeMalformedRequest,
		"Invalid request. Request is malformed or invalid."}
}

// errUnexpectedAssertionType is the error for a client_assertion_type other
// than jwt-bearer, with the text Azure AD returned in 2016.
func errUnexpectedAssertionType() tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeUnexpectedAssertionType,
		"Unexpected client assertion type."}
}

func errInvalidJWT() tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeInvalidJWT,
		"JWT token is invalid or malformed."}
}

func errUnsupportedAlgorithm(alg string) tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeUnsupportedAlgorithm, fmt.Sprintf(
		"Invalid JWT token. '%s' is not a supported signature algorithm. Supported signing algorithms are: '%s'",
		alg, strings.Join(supportedAlgorithms, ", "))}
}

func errUnsupportedKey() tokenError {
	return tokenError{http.StatusBadRequest, "invalid_request", CodeUnsupportedKey,
		"Invalid JWT token. Unsupported key for the signing algorithm."}
}

func errSubjectMismatchesIssuer() tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeSubjectMismatchesIssuer,
		"Subject mismatches Issuer claim in the client assertion."}
}

func errAssertionClientMismatch() tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionClientMismatch, fmt.Sprintf(
		"Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at %s .",
		certificateCredentialsDocs)}
}

func errAssertionAudience() tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionAudience, fmt.Sprintf(
		"Client assertion audience claim does not match Realm issuer. Review the documentation at %s .",
		certificateCredentialsDocs)}
}

// errAssertionTimeRange reports an assertion outside its validity window. A
// missing nbf or exp is written as the Unix epoch, as Entra ID does.
func errAssertionTimeRange(now, notBefore, expires time.Time) tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionTimeRange, fmt.Sprintf(
		"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, "+
			"expiry time of assertion %s. Review the documentation at %s .",
		now.UTC().Format(assertionTimeLayout), notBefore.UTC().Format(assertionTimeLayout),
		expires.UTC().Format(assertionTimeLayout), certificateCredentialsDocs)}
}

// errAssertionTooLong reports an assertion valid for longer than
// Options.MaxAssertionLifetime. Entra ID sets no such limit, so the text
// after the AADSTS700024 sentence is the emulator's own.
func errAssertionTooLong(now, notBefore, expires time.Time, limit time.Duration) tokenError {
	e := errAssertionTimeRange(now, notBefore, expires)
	e.message += fmt.Sprintf(" The assertion is valid for %s, and this emulated tenant accepts at most %s; sign a shorter one.",
		expires.Sub(notBefore), limit)
	return e
}

// errKeyNotFound reports an assertion whose thumbprint matches none of the
// app's certificates, or an app with no certificates at all.
func errKeyNotFound(clientID, thumbprint string) tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionSignature, fmt.Sprintf(
		"Client assertion contains an invalid signature. [Reason - The key was not found.,%s Please visit the Azure Portal, "+
			"Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]",
		thumbprintPart(thumbprint), clientID)}
}

func errKeyExpired(thumbprint string, cert *x509.Certificate) tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionSignature, fmt.Sprintf(
		"Client assertion contains an invalid signature. [Reason - The key used is expired.,%s %s]",
		thumbprintPart(thumbprint), foundKey(cert))}
}

func errSignatureMismatch(thumbprint string, cert *x509.Certificate) tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionSignature, fmt.Sprintf(
		"Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.,%s %s]",
		thumbprintPart(thumbprint), foundKey(cert))}
}

// errAssertionAlreadyUsed reports a replayed jti when
// Options.RejectReplayedAssertions is set. Entra ID accepts a reused
// assertion and so has no code for this case: the emulator uses Entra ID's
// code for an invalid assertion, with its own text.
func errAssertionAlreadyUsed(jti string) tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionAlreadyUsed, fmt.Sprintf(
		"Assertion is invalid: the jti '%s' was already used in an earlier token request. "+
			"Sign a new assertion with a new jti for each request.", jti)}
}

// errAssertionWithoutJTI reports an assertion with no jti when
// Options.RejectReplayedAssertions is set, because a replay cannot be
// detected without one.
func errAssertionWithoutJTI() tokenError {
	return tokenError{http.StatusUnauthorized, "invalid_client", CodeAssertionAlreadyUsed,
		"Assertion is invalid: it has no jti claim. Sign each assertion with a new, unique jti."}
}

// thumbprintPart is the "Thumbprint of key used by client" clause, with the
// thumbprint in upper-case hex as Entra ID writes it, or nothing when the
// assertion named no certificate.
func thumbprintPart(thumbprint string) string {
	if thumbprint == "" {
		return ""
	}

	// A value that does not decode to a SHA-1 or SHA-256 digest, such as
	// the hex the Azure portal shows, is written as sent.
	text := thumbprint
	if raw, ok := decodeThumbprint(thumbprint); ok && (len(raw) == sha1.Size || len(raw) == sha256.Size) {
		text = strings.ToUpper(hex.EncodeToString(raw))
	}
	return fmt.Sprintf(" Thumbprint of key used by client: '%s',", text)
}

// foundKey is the "Found key" clause with the certificate's validity.
func foundKey(cert *x509.Certificate) string {
	return fmt.Sprintf("Found key 'Start=%s, End=%s'",
		cert.NotBefore.UTC().Format(keyTimeLayout), cert.NotAfter.UTC().Format(keyTimeLayout))
}
