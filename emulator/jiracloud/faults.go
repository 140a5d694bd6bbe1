package jiracloud

import (
	"net/http"
	"strconv"
	"time"
)

// EditPattern is the route of an issue edit, as Requests counts it.
const EditPattern = "PUT /rest/api/3/issue/{issueIdOrKey}"

// fault is an error response sent in place of serving a REST request.
type fault struct {
	status     int
	retryAfter string
	// editsOnly reports whether the fault is sent to an issue edit only,
	// leaving other requests to be served.
	editsOnly bool
	// afterServe reports whether the request is served first, so that an
	// edit takes effect although its response is the fault.
	afterServe bool
}

// ThrottleNext makes the next n REST requests fail with 429 Too Many
// Requests, as Jira Cloud's rate limiter does, after the failures already
// queued. retryAfter is sent as the Retry-After header value, such as "2",
// and an empty one sends no header.
func (s *Server) ThrottleNext(n int, retryAfter string) {
	s.queueFaults(n, fault{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// FailNext makes the next n REST requests fail with status, such as 409,
// 500 or 503, after the failures already queued. The response carries
// Jira's error body and no Retry-After header.
func (s *Server) FailNext(n int, status int) {
	s.queueFaults(n, fault{status: status})
}

// ThrottleNextEdits is ThrottleNext for issue edits (EditPattern) only:
// the next n edits fail with 429 and every other request is served.
func (s *Server) ThrottleNextEdits(n int, retryAfter string) {
	s.queueFaults(n, fault{status: http.StatusTooManyRequests, retryAfter: retryAfter, editsOnly: true})
}

// FailNextEdits is FailNext for issue edits (EditPattern) only: the next n
// edits fail with status and every other request is served.
func (s *Server) FailNextEdits(n int, status int) {
	s.queueFaults(n, fault{status: status, editsOnly: true})
}

// FailNextEditsAfterApplying makes the next n issue edits (EditPattern)
// take effect and then fail with status, as when Jira changed the issue but
// responded with an error or its response was lost on the way.
func (s *Server) FailNextEditsAfterApplying(n int, status int) {
	s.queueFaults(n, fault{status: status, editsOnly: true, afterServe: true})
}

// ClearFaults drops every queued fault, as when Jira recovers from an
// outage.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns how many REST requests the site received per route
// pattern, such as EditPattern or "GET /rest/api/3/issue/{issueIdOrKey}/editmeta",
// the failed ones included. Requests that match no route count under "".
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()

	counts := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		counts[k] = v
	}
	return counts
}

func (s *Server) queueFaults(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// nextFault counts a request for the route pattern, removes the first
// queued fault that applies to it and reports whether there was one.
func (s *Server) nextFault(pattern string) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.requests == nil {
		s.requests = map[string]int{}
	}
	s.requests[pattern]++

	for i, f := range s.faults {
		if f.editsOnly && pattern != EditPattern {
			continue
		}
		s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		return f, true
	}
	return fault{}, false
}

// writeFault sends f. A 429 carries the headers that Jira Cloud's rate
// limiting guide lists: Retry-After, X-RateLimit-Reset (the time of the
// request plus Retry-After, in ISO 8601 to the minute) and RateLimit-Reason.
// Every fault has the body of Jira's error responses, the ErrorCollection
// schema of the platform REST API v3 document: errorMessages and an empty
// errors object.
//
// NOTE: the guide documents the headers but not the body, and the document
// lists no 409 for the operations fieldlink calls, so the errorMessages
// texts here are the emulator's own.
func (s *Server) writeFault(w http.ResponseWriter, f fault) {
	message := "Internal server error"
	switch f.status {
	case http.StatusTooManyRequests:
		message = "Rate limit exceeded."
		w.Header().Set("RateLimit-Reason", "jira-burst-based")
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
			if seconds, err := strconv.Atoi(f.retryAfter); err == nil {
				reset := s.opts.Now().UTC().Add(time.Duration(seconds) * time.Second)
				w.Header().Set("X-RateLimit-Reset", reset.Format("2006-01-02T15:04Z"))
			}
		}
	case http.StatusConflict:
		message = "The issue is being changed by another request."
	case http.StatusServiceUnavailable:
		message = "Service unavailable. Try again later."
	default:
		if f.status < 500 {
			message = http.StatusText(f.status) + "."
		}
	}

	s.opts.Logger.Info("request failed on purpose", "status", f.status, "retryAfter", f.retryAfter)
	writeErrors(w, f.status, []string{message}, nil)
}
