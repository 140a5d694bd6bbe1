package credential

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/expiry"
)

// Paths of Entra ID's token endpoints: v2.0, which takes scopes, and v1.0,
// which takes a resource. The first group is the tenant segment, which may
// be empty when the tenant was left out. A token URL counts as Entra ID's by
// its path alone, whatever its host, so the emulator's URLs are checked too.
var (
	entraV2Path = regexp.MustCompile(`^/([^/]*)/oauth2/v2\.0/token/?$`)
	entraV1Path = regexp.MustCompile(`^/([^/]*)/oauth2/token/?$`)
)

// guidPattern matches a GUID such as Entra ID's secret IDs, application IDs
// and tenant IDs.
var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Warnings returns problems in ds's settings that do not stop a save but
// make requests fail now or later. It reports a client secret that looks
// like a secret ID, and a tenant or scope that Entra ID rejects for client
// credentials. It also reports a secret or certificate that has expired or
// expires within expiry.WarnWithin of now. Each warning names the field
// and the value, never a secret, and what to do. It returns nil when there
// is nothing to report.
func Warnings(ds fieldlink.Datasource, now time.Time) []string {
	var warnings []string
	a := ds.Auth

	if a.Mode == fieldlink.AuthOAuth2ClientCredentials {
		warnings = append(warnings, clientSecretWarnings(a)...)
		warnings = append(warnings, entraWarnings(a)...)
	}
	warnings = append(warnings, expiryWarnings(ds, now)...)
	return warnings
}

func clientSecretWarnings(a fieldlink.Auth) []string {
	if a.ClientAuthentication == fieldlink.ClientAuthPrivateKeyJWT {
		return nil
	}
	if guidPattern.MatchString(strings.TrimSpace(a.ClientSecret)) {
		return []string{"auth.clientSecret looks like a GUID, the format of a secret's Secret ID in Entra ID, not of its Value: in App registrations > your app > Certificates & secrets, copy the Value column (shown only when the secret is created) or create a new secret."}
	}
	return nil
}

// entraWarnings checks the token URL, scopes and token parameters of an
// Entra ID token URL.
func entraWarnings(a fieldlink.Auth) []string {
	u, err := url.Parse(a.TokenURL)
	if err != nil || u.Host == "" {
		return nil
	}
	path := u.EscapedPath()
	v2 := entraV2Path.FindStringSubmatch(path)
	v1 := entraV1Path.FindStringSubmatch(path)

	// A URL pasted after another leaves a scheme or a second /oauth2/ in
	// the path, and then the shape checks below would misread it.
	if strings.Contains(path, "/oauth2/") && (strings.Contains(path, ":/") || strings.Count(path, "/oauth2/") > 1) {
		return []string{fmt.Sprintf("auth.tokenUrl %q contains a URL or a second /oauth2/ in its path, as when a URL is pasted after another: enter only https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token with your tenant ID.", u.Redacted())}
	}
	if v2 == nil && v1 == nil {
		return nil
	}

	var warnings []string
	switch {
	case v2 != nil:
		warnings = append(warnings, tenantWarnings(u, v2[1])...)
		warnings = append(warnings, entraV2Warnings(a)...)
	case v1 != nil:
		warnings = append(warnings, tenantWarnings(u, v1[1])...)
		warnings = append(warnings, fmt.Sprintf("auth.tokenUrl %q is Entra ID's v1.0 endpoint, which takes a resource in place of scopes: use the v2.0 endpoint, %s://%s/%s/oauth2/v2.0/token, with the scope https://graph.microsoft.com/.default for Microsoft Graph.", u.Redacted(), u.Scheme, u.Host, v1[1]))
	}
	return warnings
}

// tenantWarnings checks the tenant segment of an Entra ID token URL, which
// must name one tenant for client credentials.
func tenantWarnings(u *url.URL, tenant string) []string {
	unescaped, err := url.PathUnescape(tenant)
	if err == nil {
		tenant = unescaped
	}

	switch lower := strings.ToLower(tenant); {
	case tenant == "":
		return []string{fmt.Sprintf("auth.tokenUrl %q has no tenant before /oauth2: insert your Directory (tenant) ID, as in https://%s/{tenant-id}/oauth2/v2.0/token.", u.Redacted(), u.Host)}
	case lower == "common" || lower == "organizations" || lower == "consumers":
		return []string{fmt.Sprintf("auth.tokenUrl uses %q as the tenant, which Entra ID rejects for client credentials: replace it with your Directory (tenant) ID or primary domain, such as contoso.onmicrosoft.com.", tenant)}
	case strings.ContainsAny(tenant, "{}<>"):
		return []string{fmt.Sprintf("auth.tokenUrl still contains the placeholder %q as the tenant: replace it with your Directory (tenant) ID from the app's Overview page.", tenant)}
	}
	return nil
}

// entraV2Warnings checks the scopes and token parameters for Entra ID's
// v2.0 endpoint.
func entraV2Warnings(a fieldlink.Auth) []string {
	var warnings []string
	if len(a.Scopes) == 0 {
		warnings = append(warnings, "auth.scopes is empty, but Entra ID requires a scope for client credentials: add https://graph.microsoft.com/.default for Microsoft Graph, or your API's Application ID URI followed by /.default.")
	}
	for i, scope := range a.Scopes {
		if !strings.HasSuffix(scope, "/.default") {
			warnings = append(warnings, fmt.Sprintf("auth.scopes[%d] %q does not end in /.default, which Entra ID requires for client credentials: use the API's identifier followed by /.default, such as https://graph.microsoft.com/.default, and grant permissions in the app registration instead.", i, scope))
		}
	}

	if resource, ok := a.TokenParams["resource"]; ok {
		warnings = append(warnings, fmt.Sprintf("auth.tokenParams sets resource %q, which the v2.0 token endpoint rejects: remove it and add the scope %s/.default instead.", resource, strings.TrimRight(resource, "/")))
	}
	return warnings
}

// expiryWarnings reports the secret and certificates of ds that expire
// within expiry.WarnWithin of now or have expired.
func expiryWarnings(ds fieldlink.Datasource, now time.Time) []string {
	var warnings []string
	for _, e := range expiry.Of(ds) {
		if e.Status(now) == expiry.StatusOK {
			continue
		}
		subject, action := "the secret", "create a new secret and save it here"
		if strings.HasSuffix(e.Secret, "Certificate") || e.Secret == "caBundle" {
			subject, action = "the certificate", "create a new certificate, register it where the old one is, and paste it and its key here"
		}
		warnings = append(warnings, expiryWarning(e, subject, now, action))
	}
	return warnings
}

// expiryWarning returns the warning for an entry that expires at most
// expiry.WarnWithin after now.
func expiryWarning(e expiry.Entry, subject string, now time.Time, action string) string {
	date := e.ExpiresAt.UTC().Format(time.DateOnly)
	if e.Status(now) == expiry.StatusExpired {
		return fmt.Sprintf("%s: %s expired on %s, so requests fail: %s.", e.Secret, subject, date, action)
	}
	return fmt.Sprintf("%s: %s expires on %s, %s: %s before then.", e.Secret, subject, date, daysLeft(e.DaysLeft(now)), action)
}

// daysLeft writes a number of calendar days until an expiry.
func daysLeft(days int) string {
	switch days {
	case 0:
		return "today"
	case 1:
		return "in 1 day"
	default:
		return fmt.Sprintf("in %d days", days)
	}
}
