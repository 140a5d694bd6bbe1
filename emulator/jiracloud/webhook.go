package jiracloud

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// webhook is an admin webhook registered with a secret.
type webhook struct {
	url    string
	secret string
}

// delivery is one webhook sent for an event. Jira keeps its identifier and
// body across retries.
type delivery struct {
	// event is the webhookEvent, such as "jira:issue_created".
	event      string
	identifier string
	hook       webhook
	body       []byte
	// attempts counts the requests sent so far.
	attempts int
}

// RegisterWebhook makes CreateIssue deliver jira:issue_created, and
// UpdateIssue and REST edits deliver jira:issue_updated, to url, signed with
// secret in the X-Hub-Signature header.
func (s *Server) RegisterWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, webhook{url: url, secret: secret})
}

// CreateIssue creates the next issue ITH-n, reported by reporter with the
// summary, and delivers jira:issue_created to every registered webhook before
// it returns. A delivery is sent again, as Jira Cloud does, after a
// connection error, a timeout or a 408, 409, 425, 429 or 5xx status, with
// the same X-Atlassian-Webhook-Identifier, up to Options.MaxRetries times.
//
// The issue exists even when a delivery fails: the error names the webhooks
// that did not accept it.
func (s *Server) CreateIssue(ctx context.Context, reporter Account, summary string) (string, error) {
	base := s.base(nil)

	s.mu.Lock()
	is := s.newIssue(reporter, summary)
	body, err := json.Marshal(map[string]any{
		"timestamp":             is.created.UnixMilli(),
		"webhookEvent":          "jira:issue_created",
		"issue_event_type_name": "issue_created",
		"user":                  userJSON(is.reporter, base, "2"),
		"issue":                 s.issueJSON(is, base, "2"),
	})
	if err != nil {
		s.mu.Unlock()
		return is.key, fmt.Errorf("encode webhook for %s: %w", is.key, err)
	}
	is.deliveries = s.newDeliveries("jira:issue_created", body)
	deliveries := is.deliveries
	s.mu.Unlock()

	s.opts.Logger.Info("issue created", "issue", is.key, "reporter", is.reporter.AccountID, "webhooks", len(deliveries))
	return is.key, s.deliverAll(ctx, is.key, deliveries)
}

// Redeliver sends the issue's jira:issue_created deliveries again with their
// original identifiers and bodies, as Jira does when a receiver's
// acknowledgement is lost.
func (s *Server) Redeliver(ctx context.Context, key string) error {
	s.mu.Lock()
	is := s.findIssue(key)
	if is == nil {
		s.mu.Unlock()
		return fmt.Errorf("redeliver webhooks of issue %q: no such issue", key)
	}
	deliveries := is.deliveries
	s.mu.Unlock()

	if len(deliveries) == 0 {
		return fmt.Errorf("redeliver webhooks of issue %s: no webhook was registered when it was created", key)
	}
	return s.deliverAll(ctx, key, deliveries)
}

// newDeliveries returns one delivery of body per registered webhook, each
// with its own identifier. The caller holds mu.
func (s *Server) newDeliveries(event string, body []byte) []*delivery {
	deliveries := make([]*delivery, 0, len(s.hooks))
	for _, h := range s.hooks {
		deliveries = append(deliveries, &delivery{event: event, identifier: newIdentifier(), hook: h, body: body})
	}
	return deliveries
}

func (s *Server) deliverAll(ctx context.Context, key string, deliveries []*delivery) error {
	var errs []error
	for _, d := range deliveries {
		if err := s.deliver(ctx, d); err != nil {
			errs = append(errs, fmt.Errorf("deliver %s for %s to %s: %w", d.event, key, d.hook.url, err))
		}
	}
	return errors.Join(errs...)
}

// deliver sends d, then retries while Jira would.
func (s *Server) deliver(ctx context.Context, d *delivery) error {
	backoff := s.opts.RetryBackoff
	for retry := 0; ; retry++ {
		status, err := s.send(ctx, d)

		log := s.opts.Logger.With("identifier", d.identifier, "url", d.hook.url, "retry", retry)
		switch {
		case err == nil && status >= 200 && status < 300:
			log.Info("webhook delivered", "status", status)
			return nil
		case err == nil && !retryableStatus(status):
			log.Warn("webhook rejected", "status", status)
			return fmt.Errorf("the receiver responded %d %s", status, http.StatusText(status))
		case ctx.Err() != nil:
			return ctx.Err()
		}

		if err == nil {
			err = fmt.Errorf("the receiver responded %d %s", status, http.StatusText(status))
		}
		if retry >= s.opts.MaxRetries {
			log.Error("webhook delivery failed", "err", err)
			return fmt.Errorf("gave up after %d retries: %w", retry, err)
		}
		log.Warn("webhook delivery failed, retrying", "err", err, "backoff", backoff)

		if err := sleep(ctx, backoff); err != nil {
			return err
		}
		backoff *= 2
	}
}

// send posts the delivery once and returns the receiver's status.
func (s *Server) send(ctx context.Context, d *delivery) (int, error) {
	s.mu.Lock()
	retry := d.attempts
	d.attempts++
	s.mu.Unlock()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.hook.url, bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Atlassian-Webhook-Identifier", d.identifier)
	req.Header.Set("X-Atlassian-Webhook-Flow", "Primary")
	if retry > 0 {
		req.Header.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(retry))
	}
	if d.hook.secret != "" {
		req.Header.Set("X-Hub-Signature", "sha256="+sign(d.hook.secret, d.body))
	}

	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// retryableStatus reports whether Jira Cloud retries a delivery that got
// with status: 408, 409, 425, 429 and every 5xx, per its webhook retry
// policy.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// sign returns the hex HMAC-SHA256 of body keyed with secret.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// newIdentifier returns a random delivery identifier.
func newIdentifier() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
