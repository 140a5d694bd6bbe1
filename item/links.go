package item

import (
	"fmt"
	"net/url"
	"strings"
)

// requestURL returns the absolute URL of a request path as the Upstream
// sends it: an absolute URL as it is, or the path joined to the base URL with
// one slash and the base URL's query first.
// NOTE: this repeats the joining rules of package upstream, so a change there
// must be made here too, or relative next links resolve differently.
func requestURL(baseURL, path string) (*url.URL, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return url.Parse(path)
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
	return url.Parse(joined)
}

// resolveNextLink resolves a next page link against the URL of the page that
// returned it and checks that it stays on the datasource's scheme and host,
// because the Upstream sends the datasource's credentials with it.
func resolveNextLink(baseURL, currentPath, link string) (string, error) {
	base, err := url.Parse(baseURL)
	if err != nil || base.Host == "" {
		return "", fmt.Errorf("the datasource's base URL %q is not an absolute URL", baseURL)
	}
	current, err := requestURL(baseURL, currentPath)
	if err != nil {
		return "", fmt.Errorf("the page's URL is not valid: %v", err)
	}

	ref, err := url.Parse(strings.TrimSpace(link))
	if err != nil {
		return "", fmt.Errorf("the next link %q is not a valid URL: %v", excerpt([]byte(link)), err)
	}
	next := current.ResolveReference(ref)
	next.Fragment, next.RawFragment = "", ""

	if next.Scheme != base.Scheme || !strings.EqualFold(next.Host, base.Host) {
		return "", fmt.Errorf("the next link goes to %s://%s, not to the datasource's host %s://%s; credentials are sent only to the datasource's own host, so the link is not followed",
			next.Scheme, next.Host, base.Scheme, base.Host)
	}
	return next.String(), nil
}

// nextFromLinkHeader returns the target of the first link whose relation
// types include "next" in the Link header fields (RFC 8288 §3).
func nextFromLinkHeader(fields []string) (string, bool) {
	for _, field := range fields {
		p := linkParser{s: field}
		for {
			target, rel, ok := p.link()
			if !ok {
				break
			}
			for _, relation := range strings.Fields(rel) {
				if strings.EqualFold(relation, "next") {
					return target, true
				}
			}
		}
	}
	return "", false
}

// linkParser reads the links of one Link header field:
// `<target>; param=value; param="quoted", <target>; …`.
type linkParser struct {
	s string
	i int
}

// link returns the next link's target and its rel parameter. ok is false at
// the end of the field. A link that is not well formed is skipped.
func (p *linkParser) link() (target, rel string, ok bool) {
	for {
		p.skip(" \t,")
		if p.i >= len(p.s) {
			return "", "", false
		}
		if p.s[p.i] != '<' {
			p.skipLink()
			continue
		}

		end := strings.IndexByte(p.s[p.i:], '>')
		if end < 0 {
			return "", "", false
		}
		target = p.s[p.i+1 : p.i+end]
		p.i += end + 1

		rel, relSeen := "", false
		for {
			p.skip(" \t")
			if p.i >= len(p.s) || p.s[p.i] == ',' {
				return target, rel, true
			}
			if p.s[p.i] != ';' {
				p.skipLink()
				return target, rel, true
			}
			p.i++

			name, value := p.param()
			// Only the first rel parameter counts (RFC 8288 §3.3).
			if strings.EqualFold(name, "rel") && !relSeen {
				rel, relSeen = value, true
			}
		}
	}
}

// param reads `name`, `name=token` or `name="quoted string"`.
func (p *linkParser) param() (name, value string) {
	p.skip(" \t")
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune("=;, \t", rune(p.s[p.i])) {
		p.i++
	}
	name = p.s[start:p.i]

	p.skip(" \t")
	if p.i >= len(p.s) || p.s[p.i] != '=' {
		return name, ""
	}
	p.i++
	p.skip(" \t")

	if p.i < len(p.s) && p.s[p.i] == '"' {
		return name, p.quoted()
	}
	start = p.i
	for p.i < len(p.s) && !strings.ContainsRune(";, \t", rune(p.s[p.i])) {
		p.i++
	}
	return name, p.s[start:p.i]
}

// quoted reads a quoted string (RFC 9110 §5.6.4) and returns its content.
func (p *linkParser) quoted() string {
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; c {
		case '\\':
			if p.i+1 < len(p.s) {
				p.i++
				b.WriteByte(p.s[p.i])
			}
		case '"':
			p.i++
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// skipLink moves past the rest of a link to the comma that ends it, stepping
// over quoted strings.
func (p *linkParser) skipLink() {
	for p.i < len(p.s) && p.s[p.i] != ',' {
		if p.s[p.i] == '"' {
			p.quoted()
			continue
		}
		p.i++
	}
}

func (p *linkParser) skip(chars string) {
	for p.i < len(p.s) && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

// setQueryParam returns path with the query parameter name set to value,
// replacing any parameter of that name. The rest of the query keeps its
// encoding, because re-encoding it could change what the API reads, such as
// an OData $filter.
func setQueryParam(path, name, value string) string {
	before, query, _ := strings.Cut(path, "?")

	var pairs []string
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		key, _, _ := strings.Cut(pair, "=")
		if unescaped, err := url.QueryUnescape(key); err == nil && unescaped == name {
			continue
		}
		pairs = append(pairs, pair)
	}

	pairs = append(pairs, url.QueryEscape(name)+"="+url.QueryEscape(value))
	return before + "?" + strings.Join(pairs, "&")
}
