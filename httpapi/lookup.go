package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// MaxLookupBodyBytes bounds the body of POST /api/v1/lookup/{item}: 1 MiB,
// which holds an issue with many fields.
const MaxLookupBodyBytes = 1 << 20

// lookupTokenPrefix starts every lookup token, so one found in a log or a
// rule's settings can be recognized.
const lookupTokenPrefix = "fll_"

// LookupTokenBody is the response of POST /api/v1/items/{id}/lookup-token.
// The token is shown only here, because fieldlink stores only its SHA-256.
type LookupTokenBody struct {
	Token string `json:"token"`
	// URL is the address that Jira Automation's "Send web request" action
	// posts to.
	URL string `json:"url"`
}

// LookupResultBody is the response of POST /api/v1/lookup/{item}, shaped so
// that an Automation rule can use {{webResponse.body.text}} or iterate over
// {{webResponse.body.options}}.
type LookupResultBody struct {
	Values    []string           `json:"values"`
	Text      string             `json:"text"`
	Options   []fieldlink.Option `json:"options"`
	Truncated bool               `json:"truncated"`
}

// createLookupToken creates the item's lookup token, replacing the one it
// had.
func (s *Server) createLookupToken(w http.ResponseWriter, r *http.Request) {
	it, err := s.opts.Store.FindItem(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // Since Go 1.24, crypto/rand.Read never returns an error.
	token := lookupTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	if err := s.opts.Store.SetItemLookupTokenHash(r.Context(), it.ID, lookupTokenHash(token)); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("item lookup token created", "item", it.ID, "replaced", it.LookupTokenHash != "")
	writeJSON(w, http.StatusCreated, LookupTokenBody{Token: token, URL: s.publicBase(r) + "/api/v1/lookup/" + it.ID})
}

// deleteLookupToken removes the item's lookup token, so Jira Automation can
// no longer look the item up.
func (s *Server) deleteLookupToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.opts.Store.SetItemLookupTokenHash(r.Context(), id, ""); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("item lookup token deleted", "item", id)
	w.WriteHeader(http.StatusNoContent)
}

// lookupTokenHash returns the hex SHA-256 of a lookup token, as stored in
// Item.LookupTokenHash.
func lookupTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// lookup evaluates an item for the issue that a Jira Automation rule sends
// with "Send web request" and the body "Issue data (Jira format)". The
// caller authenticates with the item's lookup token.
//
// NOTE: lookups are not rate-limited, so each call may send upstream
// requests unless the item caches its results.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ref := r.PathValue("item")

	it, ok := s.authorizeLookup(w, r, ref)
	if !ok {
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxLookupBodyBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.log.Info("item lookup rejected", "item", it.ID, "reason", "body too large")
		s.writeError(w, r, invalidf(`request body is larger than %d bytes: choose "Issue data (Jira format)" as the web request body instead of custom data`, MaxLookupBodyBytes))
		return
	}
	if err != nil {
		s.log.Info("item lookup rejected", "item", it.ID, "error", err)
		s.writeError(w, r, invalidf("read request body: %v", err))
		return
	}

	issueKey, tc, err := automationTicket(body)
	if err != nil {
		s.log.Info("item lookup rejected", "item", it.ID, "error", err)
		s.writeError(w, r, err)
		return
	}

	result, err := s.opts.Items.EvaluateWithDependencies(r.Context(), it, storeResolver{s.opts.Store}, tc)
	if err != nil {
		s.log.Info("item lookup failed", "item", it.ID, "issue", issueKey, "error", err)
		s.writeEvaluationError(w, err)
		return
	}

	s.log.Info("item looked up", "item", it.ID, "issue", issueKey, "values", len(result.Values),
		"truncated", result.Truncated, "duration", time.Since(start))
	writeJSON(w, http.StatusOK, lookupResult(result))
}

// authorizeLookup finds the item by ID or name and checks the bearer token
// against the item's lookup token, and sends 401 itself when it does not
// match. An unknown item, an item without a token and a wrong token get the
// same message, so that the endpoint does not reveal which items exist. The
// log records which case it was.
func (s *Server) authorizeLookup(w http.ResponseWriter, r *http.Request, ref string) (fieldlink.Item, bool) {
	it, err := s.opts.Store.FindItem(r.Context(), ref)
	if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
		it, err = s.opts.Store.FindItemByName(r.Context(), ref)
	}
	if err != nil && fieldlink.ErrorCode(err) != fieldlink.ENotFound {
		s.writeError(w, r, err)
		return fieldlink.Item{}, false
	}

	token, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	sum := sha256.Sum256([]byte(token))

	var reason, hint string
	switch {
	case !hasBearer || token == "":
		reason = "no bearer token"
		hint = `send the header "Authorization: Bearer <token>" with the token that POST /api/v1/items/{id}/lookup-token returned`
	case subtle.ConstantTimeCompare(sum[:], s.opts.AdminTokenHash[:]) == 1:
		reason = "admin token"
		hint = "the admin token is not accepted here: create a lookup token for the item with POST /api/v1/items/{id}/lookup-token"
	case err != nil || it.LookupTokenHash == "" || !lookupTokenMatches(sum, it.LookupTokenHash):
		reason = "wrong token"
		if err != nil {
			reason = "unknown item"
		} else if it.LookupTokenHash == "" {
			reason = "item has no lookup token"
		}
		hint = "check the item id or name in the URL, and send the item's current lookup token; a token stops working when it is rotated or deleted"
	default:
		return it, true
	}

	s.log.Info("item lookup rejected", "item", ref, "reason", reason)
	w.Header().Set("WWW-Authenticate", `Bearer realm="fieldlink lookup"`)
	s.writeError(w, r, fieldlink.Errorf(fieldlink.EUnauthorized, "missing or invalid lookup token for item %q: %s", ref, hint))
	return fieldlink.Item{}, false
}

// lookupTokenMatches compares the token's SHA-256 with the stored hex hash
// in constant time.
func lookupTokenMatches(sum [sha256.Size]byte, storedHex string) bool {
	stored, err := hex.DecodeString(storedHex)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(sum[:], stored) == 1
}

// automationTicket reads the issue key and ticket context from the body of
// Jira Automation's "Send web request" action, in either issue data format
// that jira.ParseIssue accepts.
func automationTicket(body []byte) (issueKey string, tc fieldlink.TicketContext, err error) {
	issue, err := jira.ParseIssue(body)
	if err != nil {
		return "", fieldlink.TicketContext{}, err
	}
	return issue.IssueKey, issue.Ticket, nil
}

// lookupResult shapes an item result for Jira Automation. An item without
// select options gets one option per value, labeled with the value, so that
// a rule can always read options.
func lookupResult(result fieldlink.ItemResult) LookupResultBody {
	body := LookupResultBody{Values: result.Values, Text: result.Text, Options: result.Options, Truncated: result.Truncated}
	if body.Values == nil {
		body.Values = []string{}
	}
	if len(body.Options) == 0 {
		body.Options = make([]fieldlink.Option, 0, len(body.Values))
		for _, v := range body.Values {
			body.Options = append(body.Options, fieldlink.Option{Value: v, Label: v})
		}
	}
	return body
}
