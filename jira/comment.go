package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// adfNode is a node of an Atlassian Document Format document.
type adfNode struct {
	Type    string    `json:"type"`
	Version int       `json:"version,omitempty"`
	Text    string    `json:"text,omitempty"`
	Content []adfNode `json:"content,omitempty"`
}

// entityProperty is one entry of a comment's "properties".
type entityProperty struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// publicCommentProperty is the comment property through which Jira Service
// Management marks a comment internal (visible to agents only).
const publicCommentProperty = "sd.public.comment"

// AddComment posts text as a comment on the issue with
// POST /rest/api/3/issue/{key}/comment. The body is one Atlassian Document
// Format paragraph, with a hard break for each line break of text. When
// internal is set, the sd.public.comment property marks the comment
// internal, so Jira Service Management shows it to agents only. Errors are
// those of EditIssue.
func (c *Client) AddComment(ctx context.Context, ds fieldlink.Datasource, key, text string, internal bool) error {
	if strings.TrimSpace(text) == "" {
		return fieldlink.Errorf(fieldlink.EInvalid, "add comment to issue %s: the comment is empty", key)
	}

	body := struct {
		Body       adfNode          `json:"body"`
		Properties []entityProperty `json:"properties,omitempty"`
	}{Body: document(text)}
	if internal {
		body.Properties = []entityProperty{{Key: publicCommentProperty, Value: map[string]bool{"internal": true}}}
	}

	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("add comment to issue %s: encode body: %w", key, err)
	}

	_, err = c.send(ctx, ds, "add comment to issue "+key, key, fieldlink.UpstreamRequest{
		Method: http.MethodPost,
		Path:   issuePath(key) + "/comment",
		Header: jsonHeader(),
		Body:   data,
	})
	return err
}

// maxComments is how many of an issue's newest comments Comments reads.
const maxComments = 100

// Comments returns the plain text of the issue's newest comments, newest
// first, from GET /rest/api/3/issue/{key}/comment. Text nodes are joined,
// and a hard break or a new paragraph becomes a line break, so the text of
// a comment that AddComment posted is the text it was given. Errors are
// those of EditIssue.
//
// NOTE: only the newest 100 comments are read; an older one with the same
// text is not found.
func (c *Client) Comments(ctx context.Context, ds fieldlink.Datasource, key string) ([]string, error) {
	operation := "get comments of issue " + key
	resp, err := c.send(ctx, ds, operation, key, fieldlink.UpstreamRequest{
		Method: http.MethodGet,
		Path:   fmt.Sprintf("%s/comment?orderBy=-created&maxResults=%d", issuePath(key), maxComments),
		Header: acceptJSON(),
	})
	if err != nil {
		return nil, err
	}

	var page struct {
		Comments []struct {
			Body adfNode `json:"body"`
		} `json:"comments"`
	}
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		return nil, fmt.Errorf("%s: decode response: %w", operation, err)
	}

	texts := make([]string, 0, len(page.Comments))
	for _, comment := range page.Comments {
		texts = append(texts, plainText(comment.Body))
	}
	return texts, nil
}

// document returns text as an ADF document of one paragraph. ADF does not
// allow an empty text node, so an empty line is only a hard break.
func document(text string) adfNode {
	var inline []adfNode
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			inline = append(inline, adfNode{Type: "hardBreak"})
		}
		if line != "" {
			inline = append(inline, adfNode{Type: "text", Text: line})
		}
	}
	return adfNode{Type: "doc", Version: 1, Content: []adfNode{{Type: "paragraph", Content: inline}}}
}

// plainText returns the text of an ADF node and its children.
func plainText(n adfNode) string {
	var b strings.Builder
	writePlainText(&b, n)
	return b.String()
}

func writePlainText(b *strings.Builder, n adfNode) {
	switch n.Type {
	case "text":
		b.WriteString(n.Text)
	case "hardBreak":
		b.WriteString("\n")
	}

	for i, child := range n.Content {
		if i > 0 && child.Type == "paragraph" {
			b.WriteString("\n")
		}
		writePlainText(b, child)
	}
}
