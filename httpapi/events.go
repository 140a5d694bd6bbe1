package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
)

// EventReplayer sends a finished event back through processing.
// *queue.Queue implements it.
type EventReplayer interface {
	// Replay sets a processed or failed event back to pending and enqueues
	// it. It fails with ENotFound for an unknown event and EConflict for a
	// pending one.
	Replay(ctx context.Context, eventID int64) error
}

// EventBody is the JSON shape of a stored ticket event. The payload is not
// shown: it is Jira's webhook body, with personal data of the reporter.
type EventBody struct {
	ID         int64              `json:"id"`
	Hook       string             `json:"hook"`
	DeliveryID string             `json:"deliveryId"`
	Kind       string             `json:"kind"`
	IssueKey   string             `json:"issueKey"`
	ReceivedAt time.Time          `json:"receivedAt"`
	Status     string             `json:"status"`
	Outcome    *fieldlink.Outcome `json:"outcome,omitempty"`
}

// EventListBody is the response of GET /api/v1/events.
type EventListBody struct {
	Items []EventBody `json:"items"`

	// NextBefore is the before value that returns the next, older page. It
	// is set when the page is full, so more events may match.
	NextBefore int64 `json:"nextBefore,omitempty"`
}

// maxEventLimit bounds the limit parameter of GET /api/v1/events.
const maxEventLimit = 1000

func eventToBody(e fieldlink.Event) EventBody {
	return EventBody{
		ID:         e.ID,
		Hook:       e.HookID,
		DeliveryID: e.DeliveryID,
		Kind:       e.Kind,
		IssueKey:   e.IssueKey,
		ReceivedAt: e.ReceivedAt,
		Status:     string(e.Status),
		Outcome:    e.Outcome,
	}
}

// listEvents lists events newest first, filtered by status, issue and hook,
// a page at a time: before=<id> returns the events older than that one.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	filter, err := eventFilter(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	all, err := s.opts.Store.FindEvents(r.Context(), filter)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := EventListBody{Items: make([]EventBody, 0, len(all))}
	for _, e := range all {
		out.Items = append(out.Items, eventToBody(e))
	}
	if len(all) == filter.Limit {
		out.NextBefore = all[len(all)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

// eventFilter reads the query parameters of GET /api/v1/events.
func eventFilter(r *http.Request) (fieldlink.EventFilter, error) {
	query := r.URL.Query()
	filter := fieldlink.EventFilter{
		Status:   fieldlink.EventStatus(query.Get("status")),
		IssueKey: strings.ToUpper(query.Get("issue")), // Jira keys are upper case.
		HookID:   query.Get("hook"),
		Limit:    100,
	}

	switch filter.Status {
	case "", fieldlink.EventPending, fieldlink.EventProcessed, fieldlink.EventFailed:
	default:
		return filter, invalidf("status %q is invalid: use pending, processed or failed", filter.Status)
	}
	if raw := query.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxEventLimit {
			return filter, invalidf("limit %q is invalid: use a number from 1 to %d", raw, maxEventLimit)
		}
		filter.Limit = n
	}
	if raw := query.Get("before"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id < 1 {
			return filter, invalidf("before %q is invalid: use an event id, such as the nextBefore of the previous page", raw)
		}
		filter.BeforeID = id
	}
	return filter, nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := s.eventID(w, r)
	if !ok {
		return
	}
	e, err := s.opts.Store.FindEvent(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, eventToBody(e))
}

// replayEvent processes a failed or processed event again from its stored
// payload, and returns the event, now pending.
func (s *Server) replayEvent(w http.ResponseWriter, r *http.Request) {
	id, ok := s.eventID(w, r)
	if !ok {
		return
	}
	replayer := s.replayer()
	if replayer == nil {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.EInternal, "replay event %d: the server has no event queue", id))
		return
	}

	// An event whose hook is gone would only fail again, so reject it now.
	stored, err := s.opts.Store.FindEvent(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.opts.Store.FindHook(r.Context(), stored.HookID); fieldlink.ErrorCode(err) == fieldlink.ENotFound {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.EConflict,
			"event %d cannot be replayed: its hook %q was deleted, and the hook decides the rules and the Jira site", id, stored.HookID))
		return
	}

	if err := replayer.Replay(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.opts.Store.FindEvent(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("event replay requested", "event", id, "issue", e.IssueKey)
	writeJSON(w, http.StatusAccepted, eventToBody(e))
}

// replayer returns Options.Replayer, or the queue when it can replay.
func (s *Server) replayer() EventReplayer {
	if s.opts.Replayer != nil {
		return s.opts.Replayer
	}
	if replayer, ok := s.opts.Queue.(EventReplayer); ok {
		return replayer
	}
	return nil
}

// eventID reads the {id} path value, writing a 404 for one that is not a
// number.
func (s *Server) eventID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.ENotFound, "event %q not found: event ids are numbers", r.PathValue("id")))
		return 0, false
	}
	return id, true
}
