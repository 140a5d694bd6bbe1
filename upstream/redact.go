package upstream

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/outbound"
)

// minRedactedLength is the length of the shortest credential that
// redactCredentials replaces. A shorter one, such as a four-digit PIN, would
// also match ordinary text and numbers and garble the body.
const minRedactedLength = 8

// redactCredentials returns body with the datasource's secrets, and the
// credential that req sent in its Authorization header, replaced by
// "[REDACTED]". An API that echoes a credential in its response then cannot
// pass it on to error messages, logs, event outcomes or the item tester. It
// returns body itself when it contains none of them.
//
// NOTE: a credential shorter than minRedactedLength characters is left in
// the body.
func redactCredentials(body []byte, ds fieldlink.Datasource, req *http.Request) []byte {
	credentials := secretsOf(ds.Auth)
	if _, sent, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
		credentials = append(credentials, strings.TrimSpace(sent))
	}

	var found []string
	for _, c := range credentials {
		if len(c) < minRedactedLength {
			continue
		}
		if bytes.Contains(body, []byte(c)) || bytes.Contains(body, []byte(url.QueryEscape(c))) {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return body
	}
	return []byte(outbound.RedactValues(string(body), found...))
}
