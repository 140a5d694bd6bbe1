package credential

import "errors"

// configErrorCodes are the RFC 6749 §5.2 error codes, plus invalid_resource
// of RFC 8707 §2, that a token endpoint returns for settings that only a
// configuration change fixes.
var configErrorCodes = map[string]bool{
	"invalid_client":      true,
	"unauthorized_client": true,
	"invalid_scope":       true,
	"invalid_resource":    true,
}

// Entra ID error codes (AADSTS numbers) for settings that only a change of
// the datasource or of the app registration fixes, from Microsoft's
// "Microsoft Entra authentication and authorization error codes" reference.
// Entra ID sends some of them with error invalid_request, so the codes are
// checked on their own.
var configEntraCodes = []int{
	entraInvalidSecret,
	entraSecretMissing,
	entraSecretMissingInBody,
	entraSecretExpired,
	entraAppNotFound,
	entraTenantNotFound,
	entraScopeNotDefault,
	entraInvalidScope,
	entraResourceNotFound,
	entraResourceParameter,
	entraTenantNotAllowed,
	entraNoTenant,
	entraAssertionSignature,
	entraAssertionTime,
	entraParameterMissing,
}

// IsConfigError reports whether err is a token endpoint error that only a
// configuration change fixes, such as a wrong secret, an unknown client or
// tenant, or a scope the server rejects. Retrying such a request fails the
// same way, so callers stop retrying and report it instead. Server errors,
// throttling (429) and network failures are not configuration errors.
//
// Entra ID's 700024 (client assertion outside its valid time range) counts
// too although a wrong clock on this server causes it, because requests
// fail until someone acts.
func IsConfigError(err error) bool {
	var tokenErr *TokenError
	if !errors.As(err, &tokenErr) {
		return false
	}
	if tokenErr.Status == 429 || tokenErr.Status >= 500 {
		return false
	}

	if configErrorCodes[tokenErr.Code] {
		return true
	}
	for _, code := range configEntraCodes {
		if tokenErr.HasErrorCode(code) {
			return true
		}
	}
	return false
}
