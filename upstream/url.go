package upstream

import (
	"fmt"
	"net/url"
	"strings"
)

// joinURL appends path, which is already escaped and may carry a query, to
// baseURL with exactly one slash between them and without escaping anything
// again. Queries of both are kept, the base URL's first, so that a base URL
// such as https://api.example/v1?api-version=2 applies to every request.
//
// A path that is an absolute http(s) URL, such as an @odata.nextLink page
// link, is used as it is when it is on the base URL's scheme, host and port,
// and rejected otherwise, because the request carries the datasource's
// credentials.
func joinURL(baseURL, path string) (string, error) {
	base, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("base URL %q is not a valid URL: %w", baseURL, err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return "", fmt.Errorf("base URL %q is not an http(s) URL with a host: enter one such as https://graph.microsoft.com/v1.0", baseURL)
	}

	if hasHTTPScheme(path) {
		return sameOrigin(base, path)
	}

	baseURL, _, _ = strings.Cut(baseURL, "#")
	basePath, baseQuery, _ := strings.Cut(baseURL, "?")
	relPath, relQuery, _ := strings.Cut(path, "?")

	joined := strings.TrimRight(basePath, "/")
	if rel := strings.TrimLeft(relPath, "/"); rel != "" {
		joined += "/" + rel
	}

	var queries []string
	for _, q := range []string{baseQuery, relQuery} {
		if q != "" {
			queries = append(queries, q)
		}
	}
	if len(queries) > 0 {
		joined += "?" + strings.Join(queries, "&")
	}

	// The base URL has a host, so a path cannot move the request to another
	// host. Checking keeps that true if the joining above changes.
	u, err := url.Parse(joined)
	if err != nil {
		return "", fmt.Errorf("request path %q does not form a valid URL with base URL %q: %w", path, baseURL, err)
	}
	if u.Host != base.Host {
		return "", fmt.Errorf("request path %q leaves the datasource's host %s", path, base.Host)
	}
	return joined, nil
}

// hasHTTPScheme reports whether path starts with "http://" or "https://",
// in any case, as URL schemes are case-insensitive (RFC 3986 §3.1).
func hasHTTPScheme(path string) bool {
	scheme, _, found := strings.Cut(path, "://")
	return found && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https"))
}

// sameOrigin returns target when it has the scheme, host and port of base.
// Hosts compare without case, and a port left out equals the scheme's
// default port. Target must not carry user info, which the HTTP client
// would send as Basic credentials.
func sameOrigin(base *url.URL, target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("request URL %q is not a valid URL: %w", target, err)
	}

	origin := base.Scheme + "://" + base.Host
	if u.Scheme != base.Scheme || !strings.EqualFold(u.Hostname(), base.Hostname()) || portOf(u) != portOf(base) {
		return "", fmt.Errorf("request URL on %s://%s is not on the datasource's host %s, and credentials are sent only to the datasource's own host: use a path relative to the base URL, or create a datasource for that host", u.Scheme, u.Host, origin)
	}
	if u.User != nil {
		return "", fmt.Errorf("request URL on %s contains user info: remove the part before '@', because the datasource's own credentials are sent", origin)
	}
	return target, nil
}

// portOf returns u's port, or the default port of its scheme when it has
// none.
func portOf(u *url.URL) string {
	if port := u.Port(); port != "" {
		return port
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
