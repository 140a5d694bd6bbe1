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
// A path that is an absolute URL on the base URL's scheme and host, such as
// an @odata.nextLink page link, is used as it is.
func joinURL(baseURL, path string) (string, error) {
	base, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("base URL %q is not a valid URL: %w", baseURL, err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return "", fmt.Errorf("base URL %q is not an http(s) URL with a host: enter one such as https://graph.microsoft.com/v1.0", baseURL)
	}

	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
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

// sameOrigin returns target when it has the scheme and host of base.
func sameOrigin(base *url.URL, target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("request URL %q is not a valid URL: %w", target, err)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return "", fmt.Errorf("request URL %q is not on the datasource's host %s://%s: use a path relative to the base URL", target, base.Scheme, base.Host)
	}
	return target, nil
}
