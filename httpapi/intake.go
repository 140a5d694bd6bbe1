package httpapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// maxWebhookBytes bounds a webhook body. Jira Cloud payloads with many custom
// fields stay well below it.
const maxWebhookBytes = 4 << 20

// acceptedEvents are the webhook events fieldlink processes. Updates are
// not among them: routing a ticket again on every edit would overwrite an
// agent's manual routing, and fieldlink's own field update would trigger
// another update event.
var acceptedEvents = map[string]bool{
	"jira:issue_created": true,
}

// IntakeBody is the response to an accepted webhook delivery.
type IntakeBody struct {
	Status string `json:"status"`
	Event  int64  `json:"event,omitempty"`
}

// intake verifies, stores and enqueues a Jira webhook delivery. The event
// and its job are committed before the 202 response, so a delivery Jira sees
// as accepted is never lost.
func (s *Server) intake(w http.ResponseWriter, r *http.Request) {
	hookID := r.PathValue("hook")

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.log.Warn("webhook rejected: body too large", "hook", hookID, "limit", maxWebhookBytes)
		writeJSON(w, http.StatusRequestEntityTooLarge, ErrorBody{Error: ErrorDetail{Code: fieldlink.EInvalid, Message: "webhook body is larger than 4 MiB"}})
		return
	}
	if err != nil {
		s.log.Warn("webhook rejected: body unreadable", "hook", hookID, "error", err)
		s.writeError(w, r, invalidf("read webhook body: %v", err))
		return
	}

	hook, ok := s.findSigningHook(w, r, hookID, body)
	if !ok {
		return
	}

	wh, err := jira.ParseWebhook(body)
	if err != nil {
		s.log.Warn("webhook rejected: malformed payload", "hook", hook.ID, "error", err)
		s.writeError(w, r, invalidf("webhook payload is invalid: %v", err))
		return
	}
	if !acceptedEvents[wh.Event] {
		s.log.Info("webhook ignored: event not processed", "hook", hook.ID, "event", wh.Event, "issue", wh.IssueKey)
		writeJSON(w, http.StatusOK, IntakeBody{Status: "ignored"})
		return
	}

	ev := fieldlink.Event{
		HookID:     hook.ID,
		DeliveryID: jira.DeliveryID(r.Header, wh),
		Kind:       wh.Event,
		IssueKey:   wh.IssueKey,
		Payload:    body,
		Status:     fieldlink.EventPending,
	}
	inserted, err := s.opts.Queue.Enqueue(r.Context(), &ev)
	if err != nil {
		s.log.Error("webhook not stored", "hook", hook.ID, "issue", wh.IssueKey, "error", err)
		writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: ErrorDetail{Code: fieldlink.EInternal, Message: "the event could not be stored: Jira will deliver it again"}})
		return
	}
	if !inserted {
		s.log.Info("webhook duplicate skipped", "hook", hook.ID, "issue", wh.IssueKey, "delivery", ev.DeliveryID)
		writeJSON(w, http.StatusAccepted, IntakeBody{Status: "duplicate"})
		return
	}

	s.log.Info("webhook accepted", "hook", hook.ID, "issue", wh.IssueKey, "event", ev.ID, "kind", wh.Event)
	writeJSON(w, http.StatusAccepted, IntakeBody{Status: "accepted", Event: ev.ID})
}

// findSigningHook returns the hook whose secret signed body: the one named in
// the path, or, on the bare /hooks/jira URL, any hook whose secret verifies.
// It writes the error response itself when none does.
func (s *Server) findSigningHook(w http.ResponseWriter, r *http.Request, hookID string, body []byte) (fieldlink.Hook, bool) {
	signature := r.Header.Get("X-Hub-Signature")
	unauthorized := func(reason string, err error) {
		s.log.Warn("webhook rejected: "+reason, "hook", hookID, "error", err)
		writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: ErrorDetail{Code: fieldlink.EUnauthorized,
			Message: "webhook signature missing or invalid: set the hook's secret in the Jira webhook so Jira sends X-Hub-Signature"}})
	}

	if hookID != "" {
		hook, err := s.opts.Store.FindHook(r.Context(), hookID)
		if err != nil {
			if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
				s.log.Warn("webhook rejected: unknown hook", "hook", hookID)
			}
			s.writeError(w, r, err)
			return fieldlink.Hook{}, false
		}
		if err := jira.VerifySignature(hook.Secret, body, signature); err != nil {
			unauthorized("bad signature", err)
			return fieldlink.Hook{}, false
		}
		return hook, true
	}

	hooks, err := s.opts.Store.ListHooks(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return fieldlink.Hook{}, false
	}
	var lastErr error = errors.New("no hooks are configured")
	for _, hook := range hooks {
		if lastErr = jira.VerifySignature(hook.Secret, body, signature); lastErr == nil {
			return hook, true
		}
	}
	unauthorized("no hook secret verifies the signature", lastErr)
	return fieldlink.Hook{}, false
}
