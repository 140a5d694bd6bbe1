package jiracloud

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
)

// maxParticipantBody bounds the body of an add-participants request.
const maxParticipantBody = 64 << 10

// participantRequest is the body of POST
// /rest/servicedeskapi/request/{issueIdOrKey}/participant. The deprecated
// usernames member is ignored.
type participantRequest struct {
	AccountIDs []string `json:"accountIds"`
}

// Participants returns the account IDs of the request participants of the
// issue with the key or ID, in the order they were added.
func (s *Server) Participants(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()

	is := s.findIssue(key)
	if is == nil {
		return nil
	}
	return slices.Clone(is.participants)
}

// addParticipants serves POST
// /rest/servicedeskapi/request/{issueIdOrKey}/participant. It adds every
// account, or none when one is unknown, and returns all participants.
func (s *Server) addParticipants(w http.ResponseWriter, r *http.Request, email string) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxParticipantBody))
	var req participantRequest
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	if err != nil {
		s.opts.Logger.Debug("participants rejected: invalid body", "issue", r.PathValue("issueIdOrKey"), "err", err)
		writeServiceDeskError(w, http.StatusBadRequest, "The request body is not valid JSON with an accountIds array.")
		return
	}

	base := s.base(r)
	s.mu.Lock()
	defer s.mu.Unlock()

	is := s.findIssue(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeRequestNotFound(w)
		return
	}

	var unknown []string
	for _, id := range req.AccountIDs {
		if _, ok := s.users[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		s.opts.Logger.Info("participants rejected", "issue", is.key, "user", email, "unknown", unknown)
		writeServiceDeskError(w, http.StatusBadRequest, "These users do not exist: "+strings.Join(unknown, ", "))
		return
	}

	for _, id := range req.AccountIDs {
		if !slices.Contains(is.participants, id) {
			is.participants = append(is.participants, id)
		}
	}
	is.updated = s.opts.Now()

	s.opts.Logger.Info("participants added", "issue", is.key, "user", email, "participants", req.AccountIDs)
	writeJSON(w, http.StatusOK, s.participantsJSON(is, base, r.URL.Path))
}

// getParticipants serves GET
// /rest/servicedeskapi/request/{issueIdOrKey}/participant as one page.
func (s *Server) getParticipants(w http.ResponseWriter, r *http.Request, _ string) {
	base := s.base(r)
	s.mu.Lock()
	defer s.mu.Unlock()

	is := s.findIssue(r.PathValue("issueIdOrKey"))
	if is == nil {
		writeRequestNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.participantsJSON(is, base, r.URL.Path))
}

// participantsJSON renders the participants as Jira Service Management's
// PagedDTOUserDTO, all on one page. The caller holds mu.
func (s *Server) participantsJSON(is *issue, base, path string) map[string]any {
	values := make([]any, 0, len(is.participants))
	for _, id := range is.participants {
		a := s.users[id]
		u := map[string]any{
			"accountId":   a.AccountID,
			"displayName": a.DisplayName,
			"active":      true,
			"timeZone":    "Etc/UTC",
			"_links": map[string]any{
				"jiraRest":   base + "/rest/api/2/user?accountId=" + a.AccountID,
				"avatarUrls": avatarURLs(base + "/secure/useravatar?ownerId=" + a.AccountID),
			},
		}
		if !a.EmailHidden && a.Email != "" {
			u["emailAddress"] = a.Email
		}
		values = append(values, u)
	}

	return map[string]any{
		"size":       len(values),
		"start":      0,
		"limit":      50,
		"isLastPage": true,
		"values":     values,
		"_links": map[string]any{
			"base":    base,
			"context": "",
			"self":    base + path,
		},
	}
}

// writeServiceDeskError sends Jira Service Management's error body, which
// differs from the platform API's errorMessages.
//
// NOTE: the messages the emulator sends in it are its own, because Jira
// Service Management's texts were not confirmed.
func writeServiceDeskError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{
		"errorMessage": message,
		"i18nErrorMessage": map[string]any{
			"i18nKey":    "",
			"parameters": []string{},
		},
	})
}

func writeRequestNotFound(w http.ResponseWriter) {
	writeServiceDeskError(w, http.StatusNotFound, "Request does not exist or you do not have permission to see it.")
}
