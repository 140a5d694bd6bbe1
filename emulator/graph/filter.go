package graph

import (
	"fmt"
	"net/http"
	"strings"
)

// filter is a parsed $filter expression.
type filter interface {
	match(u User) bool
}

type orFilter struct{ left, right filter }

func (f orFilter) match(u User) bool { return f.left.match(u) || f.right.match(u) }

type andFilter struct{ left, right filter }

func (f andFilter) match(u User) bool { return f.left.match(u) && f.right.match(u) }

// equalsFilter is "prop eq 'value'". Graph compares these directory strings
// without regard to case, and a null property equals no literal.
type equalsFilter struct {
	prop  property
	value string
}

func (f equalsFilter) match(u User) bool {
	v := f.prop.stringValue(u)
	return v != "" && strings.EqualFold(v, f.value)
}

type boolFilter struct {
	prop  property
	value bool
}

func (f boolFilter) match(u User) bool { return f.prop.value(u) == f.value }

// startsWithFilter is "startswith(prop,'prefix')", compared without regard
// to case.
type startsWithFilter struct {
	prop   property
	prefix string
}

func (f startsWithFilter) match(u User) bool {
	v := f.prop.stringValue(u)
	return v != "" && strings.HasPrefix(strings.ToLower(v), strings.ToLower(f.prefix))
}

// anyEqualsFilter is "prop/any(x:x eq 'value')" on a string collection.
type anyEqualsFilter struct {
	prop  property
	value string
}

func (f anyEqualsFilter) match(u User) bool {
	values, _ := f.prop.value(u).([]string)
	for _, v := range values {
		if strings.EqualFold(v, f.value) {
			return true
		}
	}
	return false
}

// parseFilter parses the subset of OData $filter the emulator supports:
// "prop eq 'literal'", "startswith(prop,'literal')",
// "otherMails/any(x:x eq 'literal')" and "accountEnabled eq true", joined by
// "and" and "or" (and binds tighter) and grouped with parentheses. Inside a
// literal, ” stands for one apostrophe. Anything else is rejected with the
// error Graph returns for it.
func parseFilter(text string) (filter, *graphError) {
	p := &filterParser{text: text}
	if err := p.tokenize(); err != nil {
		return nil, err
	}

	f, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if tok := p.peek(); tok.kind != tokenEnd {
		return nil, p.syntaxError(tok)
	}
	return f, nil
}

type tokenKind int

const (
	tokenEnd tokenKind = iota
	tokenIdent
	tokenString
	tokenPunct
)

type token struct {
	kind tokenKind
	text string // the identifier, the unquoted literal or the punctuation
	pos  int
}

type filterParser struct {
	text   string
	tokens []token
	next   int
}

func (p *filterParser) tokenize() *graphError {
	i := 0
	for i < len(p.text) {
		c := p.text[i]
		switch {
		case c == ' ' || c == '\t':
			i++

		case c == '(' || c == ')' || c == ',' || c == ':' || c == '/':
			p.tokens = append(p.tokens, token{tokenPunct, string(c), i})
			i++

		case c == '\'':
			start := i
			var lit strings.Builder
			i++
			for {
				if i >= len(p.text) {
					return &graphError{http.StatusBadRequest, "BadRequest", fmt.Sprintf(
						"Invalid filter clause: There is an unterminated string literal at position %d in '%s'.", start, p.text)}
				}
				if p.text[i] == '\'' {
					// OData writes an apostrophe inside a literal as ''.
					if i+1 < len(p.text) && p.text[i+1] == '\'' {
						lit.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				lit.WriteByte(p.text[i])
				i++
			}
			p.tokens = append(p.tokens, token{tokenString, lit.String(), start})

		case isIdentByte(c):
			start := i
			for i < len(p.text) && (isIdentByte(p.text[i]) || p.text[i] == '.') {
				i++
			}
			p.tokens = append(p.tokens, token{tokenIdent, p.text[start:i], start})

		default:
			return p.syntaxError(token{tokenPunct, string(c), i})
		}
	}
	p.tokens = append(p.tokens, token{tokenEnd, "", len(p.text)})
	return nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *filterParser) peek() token { return p.tokens[p.next] }

func (p *filterParser) take() token {
	tok := p.tokens[p.next]
	if tok.kind != tokenEnd {
		p.next++
	}
	return tok
}

// keyword reports whether tok is the identifier word, ignoring case.
func keyword(tok token, word string) bool {
	return tok.kind == tokenIdent && strings.EqualFold(tok.text, word)
}

func (p *filterParser) expectPunct(c string) *graphError {
	if tok := p.take(); tok.kind != tokenPunct || tok.text != c {
		return p.syntaxError(tok)
	}
	return nil
}

func (p *filterParser) parseOr() (filter, *graphError) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for keyword(p.peek(), "or") {
		p.take()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = orFilter{left, right}
	}
	return left, nil
}

func (p *filterParser) parseAnd() (filter, *graphError) {
	left, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for keyword(p.peek(), "and") {
		p.take()
		right, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		left = andFilter{left, right}
	}
	return left, nil
}

func (p *filterParser) parsePrimary() (filter, *graphError) {
	tok := p.take()
	switch {
	case tok.kind == tokenPunct && tok.text == "(":
		f, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return f, nil

	case keyword(tok, "not"):
		return nil, errUnsupportedClause("not")

	case tok.kind == tokenIdent && p.peek().kind == tokenPunct && p.peek().text == "(":
		return p.parseFunction(tok)

	case tok.kind == tokenIdent:
		return p.parseComparison(tok)
	}
	return nil, p.syntaxError(tok)
}

// parseFunction parses a function call whose name is fn. Only startswith is
// supported, as Graph supports no other string function on users without
// advanced query parameters.
func (p *filterParser) parseFunction(fn token) (filter, *graphError) {
	if !strings.EqualFold(fn.text, "startswith") {
		return nil, errUnsupportedClause(fn.text)
	}

	p.take() // "("
	prop, err := p.filterProperty(p.take(), kindString)
	if err != nil {
		return nil, err
	}
	if err := p.expectPunct(","); err != nil {
		return nil, err
	}
	prefix := p.take()
	if prefix.kind != tokenString {
		return nil, errUnsupportedProperty(prop.name)
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return startsWithFilter{prop, prefix.text}, nil
}

// parseComparison parses "name eq literal" or "name/any(x:x eq literal)".
func (p *filterParser) parseComparison(name token) (filter, *graphError) {
	if next := p.peek(); next.kind == tokenPunct && next.text == "/" {
		return p.parseAny(name)
	}

	prop, err := p.filterProperty(name, -1)
	if err != nil {
		return nil, err
	}

	op := p.take()
	if op.kind != tokenIdent {
		return nil, p.syntaxError(op)
	}
	if !strings.EqualFold(op.text, "eq") {
		if isOperator(op.text) {
			return nil, errUnsupportedProperty(prop.name)
		}
		return nil, p.syntaxError(op)
	}

	literal := p.take()
	switch {
	case prop.kind == kindString && literal.kind == tokenString:
		return equalsFilter{prop, literal.text}, nil
	case prop.kind == kindBool && (keyword(literal, "true") || keyword(literal, "false")):
		return boolFilter{prop, keyword(literal, "true")}, nil
	case literal.kind == tokenEnd:
		return nil, p.syntaxError(literal)
	}
	return nil, errUnsupportedProperty(prop.name)
}

// parseAny parses "name/any(x:x eq 'literal')" after the name.
func (p *filterParser) parseAny(name token) (filter, *graphError) {
	prop, err := p.filterProperty(name, kindStrings)
	if err != nil {
		return nil, err
	}

	p.take() // "/"
	if lambda := p.take(); !keyword(lambda, "any") {
		return nil, errUnsupportedProperty(prop.name)
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	variable := p.take()
	if variable.kind != tokenIdent {
		return nil, p.syntaxError(variable)
	}
	if err := p.expectPunct(":"); err != nil {
		return nil, err
	}
	if ref := p.take(); ref.kind != tokenIdent || ref.text != variable.text {
		return nil, p.syntaxError(ref)
	}
	if op := p.take(); !keyword(op, "eq") {
		return nil, errUnsupportedProperty(prop.name)
	}
	literal := p.take()
	if literal.kind != tokenString {
		return nil, errUnsupportedProperty(prop.name)
	}
	if err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return anyEqualsFilter{prop, literal.text}, nil
}

// filterProperty resolves tok to a filterable property of the given kind, or
// of any kind when kind is negative.
func (p *filterParser) filterProperty(tok token, kind propertyKind) (property, *graphError) {
	if tok.kind != tokenIdent {
		return property{}, p.syntaxError(tok)
	}
	prop, ok := lookupProperty(tok.text)
	if !ok {
		e := errUnknownProperty(tok.text)
		return property{}, &e
	}
	if !prop.filterable || (kind >= 0 && prop.kind != kind) {
		return property{}, errUnsupportedProperty(prop.name)
	}
	return prop, nil
}

func isOperator(word string) bool {
	switch strings.ToLower(word) {
	case "ne", "gt", "ge", "lt", "le", "in", "has":
		return true
	}
	return false
}

func (p *filterParser) syntaxError(tok token) *graphError {
	return &graphError{http.StatusBadRequest, "BadRequest", fmt.Sprintf(
		"Invalid filter clause: Syntax error at position %d in '%s'.", tok.pos, p.text)}
}

func errUnsupportedProperty(name string) *graphError {
	return &graphError{http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf(
		"Unsupported or invalid query filter clause specified for property '%s' of resource 'User'.", name)}
}

func errUnsupportedClause(name string) *graphError {
	return &graphError{http.StatusBadRequest, "Request_UnsupportedQuery", fmt.Sprintf(
		"Unsupported query filter clause '%s'.", name)}
}
