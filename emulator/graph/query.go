package graph

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Page sizes for GET /v1.0/users, as Graph documents them for users.
const (
	defaultPageSize = 100
	maxPageSize     = 999
)

// skipTokenPrefix marks the emulator's page tokens, so a token from another
// source is rejected as expired rather than read as an offset.
const skipTokenPrefix = "fieldlink-emulator:"

// query is the parsed OData query of a request.
type query struct {
	values url.Values

	// selected lists the properties to return, selectNames their canonical
	// names for @odata.context (nil without $select).
	selected    []property
	selectNames []string

	filter filter
	top    int
	offset int
}

// parseQuery parses the query string of r. allowed lists the query options
// the resource accepts. Options other than these that start with '$' are
// rejected, and parameters without '$' are ignored.
func parseQuery(r *http.Request, allowed ...string) (query, *graphError) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		e := errInvalidQueryString(err)
		return query{}, &e
	}

	for name, vs := range values {
		if !strings.HasPrefix(name, "$") {
			continue
		}
		// NOTE: Graph supports $orderby, $count and $search on users (some
		// only with ConsistencyLevel: eventual), but the emulator rejects them.
		if !contains(allowed, name) {
			e := errQueryOption(name)
			return query{}, &e
		}
		if len(vs) > 1 {
			e := graphError{http.StatusBadRequest, "BadRequest",
				"Query option '" + name + "' was specified more than once, but it must be specified at most once."}
			return query{}, &e
		}
	}

	q := query{values: values, top: defaultPageSize}
	if e := q.parseSelect(); e != nil {
		return query{}, e
	}
	if text, ok := q.option("$filter"); ok {
		f, e := parseFilter(text)
		if e != nil {
			return query{}, e
		}
		q.filter = f
	}
	if text, ok := q.option("$top"); ok {
		top, err := strconv.Atoi(text)
		if err != nil || top < 1 || top > maxPageSize {
			e := errPageSize(text)
			return query{}, &e
		}
		q.top = top
	}
	if text, ok := q.option("$skiptoken"); ok {
		offset, ok := decodeSkipToken(text)
		if !ok {
			e := errPageToken()
			return query{}, &e
		}
		q.offset = offset
	}
	return q, nil
}

func (q query) option(name string) (string, bool) {
	vs, ok := q.values[name]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// parseSelect resolves $select to properties. Without $select, or with an
// empty one, the properties are Graph's default set. "*" selects every
// property in the emulator's property list.
func (q *query) parseSelect() *graphError {
	text, _ := q.option("$select")
	if strings.TrimSpace(text) == "" {
		for _, name := range defaultSelect {
			p, _ := lookupProperty(name)
			q.selected = append(q.selected, p)
		}
		return nil
	}

	for _, name := range strings.Split(text, ",") {
		name = strings.TrimSpace(name)
		if name == "*" {
			q.selected = append(q.selected, properties...)
			q.selectNames = append(q.selectNames, "*")
			continue
		}

		p, ok := lookupProperty(name)
		if !ok {
			e := errSelectUnknownProperty(name)
			return &e
		}
		if contains(q.selectNames, p.name) {
			continue
		}
		q.selected = append(q.selected, p)
		q.selectNames = append(q.selectNames, p.name)
	}
	return nil
}

// nextLink returns the absolute URL of the page after the current one: the
// same $filter, $select and $top, with a $skiptoken for offset.
func (q query) nextLink(base string, offset int) string {
	var b strings.Builder
	b.WriteString(base + "/v1.0/users?")
	for _, name := range []string{"$filter", "$select", "$top"} {
		if v, ok := q.option(name); ok {
			b.WriteString(name + "=" + url.QueryEscape(v) + "&")
		}
	}
	b.WriteString("$skiptoken=" + encodeSkipToken(offset))
	return b.String()
}

func encodeSkipToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(skipTokenPrefix + strconv.Itoa(offset)))
}

func decodeSkipToken(token string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(raw), skipTokenPrefix)
	if !ok {
		return 0, false
	}
	offset, err := strconv.Atoi(digits)
	if err != nil || offset < 0 {
		return 0, false
	}
	return offset, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
