package jiracloud

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxCommentBody bounds the body of an add-comment request.
const maxCommentBody = 1 << 20

// firstCommentID is the ID of the first comment on the site.
const firstCommentID = 10000

// internalProperty is the comment property with which Jira Service
// Management marks a comment internal: {"internal": true} hides it from
// customers.
const internalProperty = "sd.public.comment"

// Jira's messages for a rejected comment body.
//
// NOTE: these follow messages reported from Jira Cloud and were not checked
// against a live site.
const (
	msgCommentEmpty   = "Comment body can not be empty!"
	msgCommentInvalid = "Comment body is not valid!"
)

// Comment is a comment on an issue, as the emulator stored it.
type Comment struct {
	ID string
	// AuthorAccountID is the account ID of the API user who added it.
	AuthorAccountID string
	// Body is the Atlassian Document Format document, as sent.
	Body json.RawMessage
	// Text is the text of Body's text nodes, paragraphs separated by a
	// newline.
	Text string
	// Internal reports whether the sd.public.comment property made the
	// comment visible to agents only.
	Internal bool
	Created  time.Time
}

// comment is a stored comment.
type comment struct {
	Comment
	author     Account
	properties []entityProperty
}

// entityProperty is a property sent with a comment.
type entityProperty struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// addCommentRequest is the body of POST /rest/api/3/issue/{key}/comment.
// Visibility is accepted and ignored.
type addCommentRequest struct {
	Body       json.RawMessage  `json:"body"`
	Properties []entityProperty `json:"properties"`
}

// adfNode is a node of an Atlassian Document Format document.
type adfNode struct {
	Type    string    `json:"type"`
	Version int       `json:"version"`
	Text    string    `json:"text"`
	Content []adfNode `json:"content"`
}

// Comments returns the comments of the issue with the key or ID, oldest
// first.
func (s *Server) Comments(key string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()

	is := s.findIssue(key)
	if is == nil {
		return nil
	}
	out := make([]Comment, len(is.comments))
	for i, c := range is.comments {
		out[i] = c.Comment
		out[i].Body = append(json.RawMessage(nil), c.Body...)
	}
	return out
}

// addComment serves POST /rest/api/3/issue/{issueIdOrKey}/comment. The body
// must be an Atlassian Document Format document, as REST API v3 requires.
func (s *Server) addComment(w http.ResponseWriter, r *http.Request, email string) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCommentBody))
	var req addCommentRequest
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	if err != nil {
		s.opts.Logger.Debug("comment rejected: invalid body", "issue", r.PathValue("issueIdOrKey"), "err", err)
		writeErrors(w, http.StatusBadRequest, []string{msgInvalidPayload}, nil)
		return
	}

	text, msg := documentText(req.Body)
	if msg != "" {
		s.opts.Logger.Info("comment rejected", "issue", r.PathValue("issueIdOrKey"), "user", email, "error", msg)
		writeErrors(w, http.StatusBadRequest, nil, map[string]string{"comment": msg})
		return
	}

	base := s.base(r)
	s.mu.Lock()
	is := s.findIssue(r.PathValue("issueIdOrKey"))
	if is == nil {
		s.mu.Unlock()
		writeIssueNotFound(w)
		return
	}

	now := s.opts.Now()
	author := Account{Email: email}.normalized()
	c := &comment{
		Comment: Comment{
			ID:              strconv.Itoa(firstCommentID + s.commentCount),
			AuthorAccountID: author.AccountID,
			Body:            req.Body,
			Text:            text,
			Internal:        isInternal(req.Properties),
			Created:         now,
		},
		author:     author,
		properties: req.Properties,
	}
	s.commentCount++
	is.comments = append(is.comments, c)
	is.updated = now
	body := commentJSON(is, c, base)
	s.mu.Unlock()

	s.opts.Logger.Info("comment added", "issue", is.key, "comment", c.ID, "user", email, "internal", c.Internal)
	writeJSON(w, http.StatusCreated, body)
}

// getComments serves GET /rest/api/3/issue/{issueIdOrKey}/comment with the
// startAt and maxResults paging parameters. orderBy and expand are ignored.
func (s *Server) getComments(w http.ResponseWriter, r *http.Request, _ string) {
	base := s.base(r)
	startAt := queryInt(r, "startAt", 0)
	maxResults := queryInt(r, "maxResults", 5000)

	s.mu.Lock()
	is := s.findIssue(r.PathValue("issueIdOrKey"))
	if is == nil {
		s.mu.Unlock()
		writeIssueNotFound(w)
		return
	}
	page := []any{}
	for i := startAt; i < len(is.comments) && len(page) < maxResults; i++ {
		page = append(page, commentJSON(is, is.comments[i], base))
	}
	total := len(is.comments)
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, map[string]any{
		"startAt":    startAt,
		"maxResults": maxResults,
		"total":      total,
		"comments":   page,
	})
}

// commentJSON renders a comment as REST API v3 returns it. The caller holds
// mu.
func commentJSON(is *issue, c *comment, base string) map[string]any {
	author := userJSON(c.author, base, "3")
	m := map[string]any{
		"self":         base + "/rest/api/3/issue/" + is.id + "/comment/" + c.ID,
		"id":           c.ID,
		"author":       author,
		"updateAuthor": author,
		"body":         c.Body,
		// The document declares these date-time (RFC 3339), so they use
		// serverInfo's layout rather than the issue fields' one.
		// NOTE: live Jira Cloud is reported to write "+0000" offsets here too.
		"created":   c.Created.Format(rfc3339Millis),
		"updated":   c.Created.Format(rfc3339Millis),
		"jsdPublic": !c.Internal,
	}
	if len(c.properties) > 0 {
		m["properties"] = c.properties
	}
	return m
}

// documentText checks that raw is an Atlassian Document Format document,
// {"type": "doc", "version": 1, "content": [...]}, and returns its text. A
// non-empty message is Jira's error for the comment.
func documentText(raw json.RawMessage) (string, string) {
	if isNull(raw) {
		return "", msgCommentEmpty
	}

	var doc adfNode
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Type != "doc" || doc.Version != 1 {
		return "", msgCommentInvalid
	}

	var paragraphs []string
	for _, block := range doc.Content {
		paragraphs = append(paragraphs, nodeText(block))
	}
	text := strings.Join(paragraphs, "\n")
	if strings.TrimSpace(text) == "" {
		return "", msgCommentEmpty
	}
	return text, ""
}

// nodeText joins the text of a node and its descendants, with a newline
// for each hard break.
func nodeText(n adfNode) string {
	if n.Type == "hardBreak" {
		return "\n"
	}
	var b strings.Builder
	b.WriteString(n.Text)
	for _, child := range n.Content {
		b.WriteString(nodeText(child))
	}
	return b.String()
}

// isInternal reports whether the properties hold sd.public.comment with
// {"internal": true}.
func isInternal(properties []entityProperty) bool {
	for _, p := range properties {
		if p.Key != internalProperty {
			continue
		}
		var v struct {
			Internal bool `json:"internal"`
		}
		if json.Unmarshal(p.Value, &v) == nil && v.Internal {
			return true
		}
	}
	return false
}

// queryInt returns a non-negative integer query parameter, or def when it is
// absent or invalid.
func queryInt(r *http.Request, name string, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 0 {
		return def
	}
	return n
}
