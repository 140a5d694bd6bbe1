package item

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/fieldlink/fieldlink"
)

// slot is a piece of a compiled template: literal text, or an expression
// with the placement its value is escaped for.
type slot struct {
	literal string
	expr    *expression
	place   placement
}

// requestTemplate is an item's request with its templates compiled.
type requestTemplate struct {
	method  string
	path    []slot
	headers []headerTemplate
	body    []slot
}

type headerTemplate struct {
	name  string
	value []slot
}

// allowedMethods are the methods an item may use. Items read data, and some
// APIs take a search as a POST with a JSON body.
var allowedMethods = []string{http.MethodGet, http.MethodPost}

// compileRequest parses and compiles an item's request template. Errors are
// *fieldlink.Error values that name the field.
func compileRequest(req fieldlink.ItemRequest) (*requestTemplate, error) {
	t := &requestTemplate{method: strings.ToUpper(strings.TrimSpace(req.Method))}
	if t.method == "" {
		t.method = http.MethodGet
	}
	if !slices.Contains(allowedMethods, t.method) {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.method %q is not supported; use %s", req.Method, strings.Join(allowedMethods, " or "))
	}

	path, err := compilePath(req.Path)
	if err != nil {
		return nil, err
	}
	t.path = path

	for _, name := range slices.Sorted(maps.Keys(req.Headers)) {
		header, err := compileHeader(name, req.Headers[name])
		if err != nil {
			return nil, err
		}
		t.headers = append(t.headers, header)
	}

	if req.Body != "" && t.method == http.MethodGet {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.body must be empty for a GET request; clear it or use POST")
	}
	body, err := compileBody(req.Body)
	if err != nil {
		return nil, err
	}
	t.body = body

	return t, nil
}

func compilePath(src string) ([]slot, error) {
	if !strings.HasPrefix(src, "/") || strings.HasPrefix(src, "//") {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.path %q must start with a single /, relative to the datasource's base URL, for example /users/${reporter.emailAddress}", src)
	}

	parts, err := splitTemplate(src)
	if err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.path %q: %v", src, err)
	}

	var scanner pathScanner
	var slots []slot
	var sample strings.Builder
	for _, p := range parts {
		if !p.isExpr {
			if err := scanner.scan(p.literal); err != nil {
				return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.path %q %v", src, err)
			}
			slots = append(slots, slot{literal: p.literal})
			sample.WriteString(urlLiteral(p.literal))
			continue
		}

		place, err := scanner.placement()
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.path %q: placeholder at position %d: %v", src, p.offset+1, err)
		}
		x, err := compileExpression(p.expr, false)
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.path %q: placeholder at position %d: %v", src, p.offset+1, err)
		}
		slots = append(slots, slot{expr: x, place: place})
		sample.WriteString("x")
	}

	// The literal text must make a valid URL whatever the values are, and
	// each value is escaped, so one sample value stands for all of them.
	if _, err := url.ParseRequestURI(sample.String()); err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.path %q is not a valid URL path: %v", src, err)
	}
	return slots, nil
}

// credentialHeaders carry credentials; they are set by the datasource.
var credentialHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true,
	"X-Api-Key": true, "Api-Key": true, "Ocp-Apim-Subscription-Key": true,
}

func compileHeader(name, value string) (headerTemplate, error) {
	field := "request.headers." + name
	if !httpguts.ValidHeaderFieldName(name) {
		return headerTemplate{}, fieldlink.Errorf(fieldlink.EInvalid, "%s: %q is not a valid header name; use letters, digits and - only", field, name)
	}
	// An item is not sealed at rest and is shown by the API, so a credential
	// in its headers would be stored and shown in plain text.
	if credentialHeaders[http.CanonicalHeaderKey(name)] {
		return headerTemplate{}, fieldlink.Errorf(fieldlink.EInvalid,
			"%s cannot be set on an item: credentials belong to the datasource, which seals them; choose its auth mode (bearer, basic, api-key or OAuth 2) instead", field)
	}

	parts, err := splitTemplate(value)
	if err != nil {
		return headerTemplate{}, fieldlink.Errorf(fieldlink.EInvalid, "%s: %v", field, err)
	}

	var slots []slot
	for _, p := range parts {
		if !p.isExpr {
			if strings.IndexFunc(p.literal, isHeaderControl) >= 0 {
				return headerTemplate{}, fieldlink.Errorf(fieldlink.EInvalid, "%s contains a line break or control character; remove it", field)
			}
			slots = append(slots, slot{literal: p.literal})
			continue
		}

		x, err := compileExpression(p.expr, false)
		if err != nil {
			return headerTemplate{}, fieldlink.Errorf(fieldlink.EInvalid, "%s: placeholder at position %d: %v", field, p.offset+1, err)
		}
		slots = append(slots, slot{expr: x, place: inHeaderValue})
	}
	return headerTemplate{name: http.CanonicalHeaderKey(name), value: slots}, nil
}

// compileBody compiles a body template. A body with placeholders must be
// JSON, because JSON is the only body whose escaping rules are known here.
// NOTE: form-encoded and XML bodies with placeholders are rejected, since
// they have no escaping yet.
func compileBody(src string) ([]slot, error) {
	parts, err := splitTemplate(src)
	if err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.body: %v", err)
	}

	var scanner jsonScanner
	var slots []slot
	var sample strings.Builder
	hasExpr := false
	for _, p := range parts {
		if !p.isExpr {
			scanner.scan(p.literal)
			slots = append(slots, slot{literal: p.literal})
			sample.WriteString(p.literal)
			continue
		}

		hasExpr = true
		place := scanner.placement()
		x, err := compileExpression(p.expr, false)
		if err != nil {
			return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.body: placeholder at position %d: %v", p.offset+1, err)
		}
		slots = append(slots, slot{expr: x, place: place})
		if place == inJSONValue {
			sample.WriteString("null")
		}
	}

	if hasExpr && !json.Valid([]byte(sample.String())) {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "request.body must be valid JSON when it contains placeholders; check its quotes, commas and braces")
	}
	return slots, nil
}

// render builds the request from env.
func (t *requestTemplate) render(env map[string]any) (fieldlink.UpstreamRequest, error) {
	path, err := renderSlots(t.path, env, true)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}

	header := http.Header{}
	for _, h := range t.headers {
		value, err := renderSlots(h.value, env, false)
		if err != nil {
			return fieldlink.UpstreamRequest{}, err
		}
		header.Set(h.name, value)
	}

	body, err := renderSlots(t.body, env, false)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}
	if body != "" && header.Get("Content-Type") == "" && json.Valid([]byte(body)) {
		header.Set("Content-Type", "application/json")
	}

	req := fieldlink.UpstreamRequest{Method: t.method, Path: path, Header: header}
	if body != "" {
		req.Body = []byte(body)
	}
	return req, nil
}

// renderSlots renders a template. In a URL, literal text has its spaces sent
// as %20.
func renderSlots(slots []slot, env map[string]any, isURL bool) (string, error) {
	var b strings.Builder
	for _, s := range slots {
		if s.expr == nil {
			if isURL {
				b.WriteString(urlLiteral(s.literal))
			} else {
				b.WriteString(s.literal)
			}
			continue
		}

		if err := s.expr.checkDependencies(env); err != nil {
			return "", err
		}
		v, err := s.expr.evaluate(env)
		if err != nil {
			return "", err
		}

		// An empty path segment would change which resource is requested,
		// so even a default cannot be empty there.
		if v == nil || (isEmpty(v) && (!s.expr.hasDefault || s.place == inPathSegment)) {
			return "", &MissingValueError{Expr: s.expr.source}
		}

		text, err := escapeValue(s.place, s.expr, v)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
	}
	return b.String(), nil
}
