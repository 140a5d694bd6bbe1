package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// maxWebhookBytes bounds a webhook body. Jira Cloud payloads with many custom
// fields stay well below it.
const maxWebhookBytes = 4 << 20

// AutomationTokenHeader is the header in which a Jira Automation "Send web
// request" action sends the hook's automation token.
const AutomationTokenHeader = "X-Fieldlink-Token"

// IntakeBody is the response to an accepted webhook delivery.
type IntakeBody struct {
	Status string `json:"status"`
	Event  int64  `json:"event,omitempty"`
	// Reason explains why a delivery was ignored.
	Reason string `json:"reason,omitempty"`
}

// intake verifies, stores and enqueues a Jira webhook delivery or a Jira
// Automation call. The event and its job are committed before the 202
// response, so a delivery that Jira received a 202 for is never lost. An event the
// hook does not process, or an issue of a project outside the hook's, is
// answered 200 "ignored" and not stored.
func (s *Server) intake(w http.ResponseWriter, r *http.Request) {
	hookID := r.PathValue("hook")

	// A client past the limit of failed deliveries gets 429 before its body
	// is read or its hook looked up, unless the request carries a signature
	// or an automation token. Those are still checked, so a flood of bad
	// deliveries can never hold back a correctly signed ticket event. A bad
	// one past the limit gets 429 instead of 401.
	if wait := s.webhookGuard.limiter.RetryAfter(hookKey(clientIP(r), hookID)); wait > 0 && !carriesCredential(r) {
		s.webhookGuard.throttle(w, r, hookID, wait)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.webhookGuard.fail(r, hookKey(clientIP(r), hookID), "body too large", "hook", hookID, "limit", maxWebhookBytes)
		writeJSON(w, http.StatusRequestEntityTooLarge, ErrorBody{Error: ErrorDetail{Code: fieldlink.EInvalid, Message: "webhook body is larger than 4 MiB"}})
		return
	}
	if err != nil {
		s.log.Warn("webhook rejected: body unreadable", "hook", hookID, "error", err)
		s.writeError(w, r, invalidf("read webhook body: %v", err))
		return
	}

	// A request that carries the automation token header comes from Jira
	// Automation, which cannot sign its body; any other must be signed.
	automation := len(r.Header.Values(AutomationTokenHeader)) > 0
	var hook fieldlink.Hook
	var ok bool
	if automation {
		hook, ok = s.findAutomationHook(w, r, hookID)
	} else {
		hook, ok = s.findSigningHook(w, r, hookID, body)
	}
	if !ok {
		return
	}

	// An event that is not about an issue, such as comment_created from a
	// webhook subscribed to more events, is acknowledged, not failed.
	if event := webhookEvent(body); event != "" && !processesEvent(hook, event) {
		reason := fmt.Sprintf("hook %q does not process %s events", hook.Name, event)
		s.log.Info("webhook ignored: event not processed", "hook", hook.ID, "event", event)
		writeJSON(w, http.StatusOK, IntakeBody{Status: "ignored", Reason: reason})
		return
	}

	wh, payload, err := parseDelivery(body, automation)
	if err != nil {
		s.log.Warn("webhook rejected: malformed payload", "hook", hook.ID, "automation", automation, "error", err)
		s.writeError(w, r, invalidf("webhook payload is invalid: %v", err))
		return
	}
	if !processesEvent(hook, wh.Event) {
		s.log.Info("webhook ignored: event not processed", "hook", hook.ID, "event", wh.Event, "issue", wh.IssueKey)
		writeJSON(w, http.StatusOK, IntakeBody{Status: "ignored", Reason: fmt.Sprintf("hook %q does not process %s events", hook.Name, wh.Event)})
		return
	}
	if project := projectKey(wh); !inProjects(hook, project) {
		s.log.Info("webhook ignored: project not routed by this hook", "hook", hook.ID, "project", project, "issue", wh.IssueKey)
		writeJSON(w, http.StatusOK, IntakeBody{Status: "ignored", Reason: fmt.Sprintf("project %q is not among hook %q's projects", project, hook.Name)})
		return
	}

	ev := fieldlink.Event{
		HookID:     hook.ID,
		DeliveryID: deliveryID(r.Header, wh, body, automation),
		Kind:       wh.Event,
		IssueKey:   wh.IssueKey,
		Payload:    payload,
		Status:     fieldlink.EventPending,
	}
	inserted, err := s.opts.Queue.Enqueue(r.Context(), &ev)
	if err != nil {
		s.log.Error("webhook not stored", "hook", hook.ID, "issue", wh.IssueKey, "error", err)
		writeUnavailable(w, "the event could not be stored")
		return
	}
	if !inserted {
		s.log.Info("webhook duplicate skipped", "hook", hook.ID, "issue", wh.IssueKey, "delivery", ev.DeliveryID)
		writeJSON(w, http.StatusAccepted, IntakeBody{Status: "duplicate"})
		return
	}

	s.log.Info("webhook accepted", "hook", hook.ID, "issue", wh.IssueKey, "event", ev.ID, "kind", wh.Event, "automation", automation)
	writeJSON(w, http.StatusAccepted, IntakeBody{Status: "accepted", Event: ev.ID})
}

// parseDelivery decodes a webhook body and returns the payload to store.
// Webhook bodies, from an admin webhook or from Jira Automation, are stored
// as they came. Issue data from Jira Automation is stored as a
// jira:issue_created webhook body, so that processing reads every stored
// event the same way.
func parseDelivery(body []byte, automation bool) (jira.Webhook, []byte, error) {
	if !automation || namesEvent(body) {
		wh, err := jira.ParseWebhook(body)
		return wh, body, err
	}

	wh, err := jira.ParseIssue(body)
	if err != nil {
		return jira.Webhook{}, nil, err
	}
	wh.Event = jira.EventIssueCreated

	webhook := maps.Clone(wh.Raw)
	webhook["webhookEvent"] = wh.Event
	// A top-level timestamp of the Automation body is not the webhook's,
	// and one that is not a number would make the stored body unreadable.
	delete(webhook, "timestamp")
	if wh.Timestamp != 0 {
		webhook["timestamp"] = wh.Timestamp
	}
	payload, err := json.Marshal(webhook)
	if err != nil {
		return jira.Webhook{}, nil, fieldlink.Errorf(fieldlink.EInvalid, "issue %s cannot be stored as a webhook body: %v", wh.IssueKey, err)
	}

	// Processing reads the stored body as a webhook, so a body it could
	// not read is refused now rather than failing after the 202.
	if _, err := jira.ParseWebhook(payload); err != nil {
		return jira.Webhook{}, nil, err
	}
	return wh, payload, nil
}

// namesEvent reports whether body is a JSON object with a webhookEvent
// member, as an admin webhook body has.
func namesEvent(body []byte) bool {
	var head struct {
		WebhookEvent *string `json:"webhookEvent"`
	}
	return json.Unmarshal(body, &head) == nil && head.WebhookEvent != nil
}

// deliveryID returns the key that deduplicates the delivery. Jira
// Automation sends no delivery identifier (its documentation names no such
// header), so an Automation call is identified by the issue ID and its
// fields.updated time, or by the SHA-256 of the body when the issue has no
// updated time.
func deliveryID(h http.Header, wh jira.Webhook, body []byte, automation bool) string {
	if automation && h.Get(jira.IdentifierHeader) == "" && wh.Timestamp == 0 {
		sum := sha256.Sum256(body)
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	return jira.DeliveryID(h, wh)
}

// processesEvent reports whether the hook processes the event: the events
// it lists, or jira:issue_created alone when it lists none. Only issue
// created and updated events can be processed.
func processesEvent(h fieldlink.Hook, event string) bool {
	if event != fieldlink.EventIssueCreated && event != fieldlink.EventIssueUpdated {
		return false
	}
	if len(h.Events) == 0 {
		return event == fieldlink.EventIssueCreated
	}
	return slices.Contains(h.Events, event)
}

// projectKey returns the key of the issue's project, or "" when the body
// has none.
func projectKey(wh jira.Webhook) string {
	key, _ := wh.Ticket.Project["key"].(string)
	return key
}

// inProjects reports whether the hook routes issues of the project. Jira
// project keys are matched without regard to case, as Jira matches them.
func inProjects(h fieldlink.Hook, project string) bool {
	if len(h.ProjectKeys) == 0 {
		return true
	}
	return slices.ContainsFunc(h.ProjectKeys, func(k string) bool { return strings.EqualFold(k, project) })
}

// findAutomationHook returns the hook named in the path when the request's
// automation token matches the hook's AutomationTokenHash. It writes the
// error response itself otherwise. The log records the reason, but the
// response is the same for a wrong token and a hook without one.
func (s *Server) findAutomationHook(w http.ResponseWriter, r *http.Request, hookID string) (fieldlink.Hook, bool) {
	unauthorized := func(reason, hint string) {
		if s.webhookGuard.rejectPastLimit(w, r, hookID, reason, "automation", true) {
			return
		}
		writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: ErrorDetail{Code: fieldlink.EUnauthorized,
			Message: "missing or invalid " + AutomationTokenHeader + " header: " + hint}})
	}

	if hookID == "" {
		unauthorized("automation call without a hook id",
			"Jira Automation must post to the hook's own URL, /hooks/jira/{hook}, which the hook's settings show")
		return fieldlink.Hook{}, false
	}

	hook, err := s.opts.Store.FindHook(r.Context(), hookID)
	if err != nil {
		s.rejectHookLookup(w, r, hookID, err)
		return fieldlink.Hook{}, false
	}

	token := strings.TrimSpace(r.Header.Get(AutomationTokenHeader))
	hint := "send the hook's automation token in the " + AutomationTokenHeader + " header of the rule's \"Send web request\" action"
	switch {
	case token == "":
		unauthorized("empty automation token", hint)
	case hook.AutomationTokenHash == "":
		unauthorized("hook has no automation token", "create an automation token for the hook, then "+hint)
	case !lookupTokenMatches(sha256.Sum256([]byte(token)), hook.AutomationTokenHash):
		unauthorized("wrong automation token", hint+"; a token stops working when it is rotated")
	default:
		return hook, true
	}
	return fieldlink.Hook{}, false
}

// findSigningHook returns the hook whose secret signed body: the one named in
// the path, or, on the bare /hooks/jira URL, any hook whose secret verifies.
// It writes the error response itself when none does.
func (s *Server) findSigningHook(w http.ResponseWriter, r *http.Request, hookID string, body []byte) (fieldlink.Hook, bool) {
	signature := r.Header.Get("X-Hub-Signature")
	unauthorized := func(reason string, err error) {
		if s.webhookGuard.rejectPastLimit(w, r, hookID, reason, "error", err) {
			return
		}
		writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: ErrorDetail{Code: fieldlink.EUnauthorized,
			Message: "webhook signature missing or invalid: set the hook's secret in the Jira webhook so Jira sends X-Hub-Signature"}})
	}

	if hookID != "" {
		hook, err := s.opts.Store.FindHook(r.Context(), hookID)
		if err != nil {
			s.rejectHookLookup(w, r, hookID, err)
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
		s.log.Error("webhook rejected: hooks not listed", "error", err)
		writeUnavailable(w, "the hooks could not be read")
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

// rejectHookLookup logs and responds to a failed look-up of the hook in the
// path: 404 for an unknown hook, or 429 once the client has asked for too
// many unknown hooks, and 503 for a store failure.
func (s *Server) rejectHookLookup(w http.ResponseWriter, r *http.Request, hookID string, err error) {
	if fieldlink.ErrorCode(err) != fieldlink.ENotFound {
		s.log.Error("webhook rejected: hook not read", "hook", hookID, "error", err)
		writeUnavailable(w, "the hook could not be read")
		return
	}

	key := unknownHookKey(clientIP(r))
	if wait := s.webhookGuard.limiter.RetryAfter(key); wait > 0 {
		s.webhookGuard.throttle(w, r, hookID, wait)
		return
	}
	s.webhookGuard.fail(r, key, "unknown hook", "hook", hookID)
	s.writeError(w, r, err)
}

// writeUnavailable responds 503 to a delivery that the database could not
// take, such as while it is unreachable or its disk is full. failure says
// what failed, such as "the event could not be stored". Jira Cloud delivers
// a webhook again after a 5xx response, so the event is not lost.
func writeUnavailable(w http.ResponseWriter, failure string) {
	writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: ErrorDetail{Code: fieldlink.EInternal,
		Message: failure + ": the database is unavailable, so Jira will deliver the webhook again; the server log has the error"}})
}

// webhookEvent returns the body's webhookEvent, or "" when the body is not a
// JSON object that names one.
func webhookEvent(body []byte) string {
	var head struct {
		WebhookEvent string `json:"webhookEvent"`
	}
	if json.Unmarshal(body, &head) != nil {
		return ""
	}
	return head.WebhookEvent
}
