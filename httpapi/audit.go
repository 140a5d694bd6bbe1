package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// auditActions names the configuration change each route makes. Routes
// missing here (tests, evaluations, simulations, replays) change no
// configuration and are not recorded; token routes record themselves.
var auditActions = map[string]string{
	"POST /api/v1/datasources":                   "datasource.create",
	"PUT /api/v1/datasources/{id}":               "datasource.update",
	"DELETE /api/v1/datasources/{id}":            "datasource.delete",
	"POST /api/v1/items":                         "item.create",
	"PUT /api/v1/items/{id}":                     "item.update",
	"DELETE /api/v1/items/{id}":                  "item.delete",
	"POST /api/v1/items/{id}/lookup-token":       "item.lookup-token.create",
	"DELETE /api/v1/items/{id}/lookup-token":     "item.lookup-token.delete",
	"POST /api/v1/rules":                         "rule.create",
	"PUT /api/v1/rules/{id}":                     "rule.update",
	"DELETE /api/v1/rules/{id}":                  "rule.delete",
	"POST /api/v1/hooks":                         "hook.create",
	"PUT /api/v1/hooks/{id}":                     "hook.update",
	"DELETE /api/v1/hooks/{id}":                  "hook.delete",
	"POST /api/v1/hooks/{id}/secret":             "hook.secret.rotate",
	"POST /api/v1/hooks/{id}/automation-token":   "hook.automation-token.create",
	"DELETE /api/v1/hooks/{id}/automation-token": "hook.automation-token.delete",
}

// isCreate reports whether a route creates a record, whose ID is then read
// from the response for the audit log.
func isCreate(pattern string) bool {
	return strings.HasSuffix(auditActions[pattern], ".create") && !strings.Contains(pattern, "{id}")
}

// keepsResponse reports whether the audit log reads a route's response: a
// creation's, for the new record's ID and name, and an update's, for the
// record's new name.
func keepsResponse(pattern string) bool {
	return isCreate(pattern) || strings.HasSuffix(auditActions[pattern], ".update")
}

// statusRecorder keeps the status of a response and, for creations and
// updates, its body, to find the record's ID and name.
type statusRecorder struct {
	http.ResponseWriter
	status int
	keep   bool
	body   bytes.Buffer
}

func newStatusRecorder(w http.ResponseWriter, keepBody bool) *statusRecorder {
	return &statusRecorder{ResponseWriter: w, keep: keepBody}
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.keep && r.body.Len() < 1<<20 {
		r.body.Write(p)
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}

// recordChange writes a successful configuration change to the audit log.
// before is the changed record as auditSnapshot read it.
func (s *Server) recordChange(r *http.Request, rec *statusRecorder, before auditBefore) {
	action, ok := auditActions[r.Pattern]
	if !ok || rec.status < 200 || rec.status > 299 {
		return
	}
	target, detail := s.describeChange(r, action, rec, before)
	s.recordEntry(r, auth.AuditEntry{Actor: actorOf(r), Action: action, Target: target, Detail: detail})
}

// record appends an entry by the request's actor to the audit log.
func (s *Server) record(r *http.Request, action, target string) {
	s.recordAs(r, actorOf(r), action, target)
}

// recordAs appends an entry by actor to the audit log, with the detail of
// auditDetails for the action and target as the record's name.
func (s *Server) recordAs(r *http.Request, actor, action, target string) {
	detail := auditDetails[action]
	if strings.Contains(detail, "%s") {
		detail = fmt.Sprintf(detail, quoteName(target))
	}
	s.recordEntry(r, auth.AuditEntry{Actor: actor, Action: action, Target: target, Detail: detail})
}

// recordEntry appends e to the audit log, logging a failure: the change
// itself has been made already.
func (s *Server) recordEntry(r *http.Request, e auth.AuditEntry) {
	if s.opts.Audit == nil {
		return
	}
	e.At = s.now()
	if err := s.opts.Audit.RecordAudit(r.Context(), e); err != nil {
		s.log.Error("record audit entry", "action", e.Action, "actor", e.Actor, "target", e.Target, "error", err)
	}
}

const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	if s.opts.Audit == nil {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.ENotFound, "this server keeps no audit log"))
		return
	}

	limit := defaultAuditLimit
	if text := r.URL.Query().Get("limit"); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > maxAuditLimit {
			s.writeError(w, r, invalidf("limit %q is invalid: use a whole number from 1 to %d", text, maxAuditLimit))
			return
		}
		limit = n
	}

	entries, err := s.opts.Audit.ListAudit(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}
