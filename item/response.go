package item

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fieldlink/fieldlink"
)

// excerptLength is the number of bytes of a response body kept in errors.
const excerptLength = 200

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeResponse returns the JSON document of a response. The Content-Type is
// not trusted, because some APIs send JSON as text/plain, and a UTF-8 byte
// order mark is skipped. An empty 2xx body is a null document.
func decodeResponse(resp fieldlink.UpstreamResponse) (any, error) {
	body := bytes.TrimPrefix(resp.Body, utf8BOM)

	if resp.Status < 200 || resp.Status > 299 {
		return nil, statusError(resp.Status, body)
	}

	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}

	doc, err := decodeJSON(body)
	if err != nil {
		return nil, &NotJSONError{
			Status:      resp.Status,
			ContentType: resp.Header.Get("Content-Type"),
			Excerpt:     excerpt(body),
		}
	}
	return doc, nil
}

// statusError builds the error of a non-2xx response, with the code and
// message of the error bodies of Microsoft Graph and Jira when the body is one.
func statusError(status int, body []byte) *UpstreamStatusError {
	e := &UpstreamStatusError{Status: status, Excerpt: excerpt(body)}

	var graph struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &graph) == nil && (graph.Error.Code != "" || graph.Error.Message != "") {
		e.Code = graph.Error.Code
		e.Message = graph.Error.Message
		return e
	}

	var jira struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &jira) == nil {
		messages := append([]string(nil), jira.ErrorMessages...)
		fields := make([]string, 0, len(jira.Errors))
		for field := range jira.Errors {
			fields = append(fields, field)
		}
		sort.Strings(fields)
		for _, field := range fields {
			messages = append(messages, field+": "+jira.Errors[field])
		}
		e.Message = strings.Join(messages, "; ")
	}
	return e
}

// excerpt returns the start of body as valid UTF-8 with whitespace runs
// collapsed to one space, ending in "…" when it was cut.
func excerpt(body []byte) string {
	cut := len(body) > excerptLength
	if cut {
		body = body[:excerptLength]

		// Drop a character that the cut split in two.
		for i := 0; i < utf8.UTFMax-1 && len(body) > 0; i++ {
			r, size := utf8.DecodeLastRune(body)
			if r != utf8.RuneError || size != 1 {
				break
			}
			body = body[:len(body)-1]
		}
	}

	text := strings.Join(strings.FieldsFunc(strings.ToValidUTF8(string(body), "\uFFFD"), unicode.IsSpace), " ")
	if cut {
		text += "…"
	}
	return text
}
