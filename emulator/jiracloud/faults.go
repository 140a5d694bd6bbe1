package jiracloud

import (
	"net/http"
	"strconv"
	"time"
)

// fault is an error response sent in place of serving a REST request.
type fault struct {
	status     int
	retryAfter string
}

// ThrottleNext makes the next n REST requests fail with 429 Too Many
// Requests, as Jira Cloud's rate limiter does, after the failures already
// queued. retryAfter is sent as the Retry-After header value, such as "2",
// and an empty one sends no header.
func (s *Server) ThrottleNext(n int, retryAfter string) {
	s.queueFaults(n, fault{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// FailNext makes the next n REST requests fail with status, such as 500 or
// 503, after the failures already queued. The response carries Jira's error
// body and no Retry-After header.
func (s *Server) FailNext(n int, status int) {
	s.queueFaults(n, fault{status: status})
}

func (s *Server) queueFaults(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// nextFault removes the first queued fault and reports whether there was
// one.
func (s *Server) nextFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if len(s.faults) == 0 {
		return fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// writeFault sends f. A 429 carries the headers that Jira Cloud's rate
// limiting guide lists: Retry-After, X-RateLimit-Reset (the time of the
// request plus Retry-After, in ISO 8601 to the minute) and RateLimit-Reason.
//
// NOTE: the guide documents the headers but not the body, so the
// errorMessages texts here are the emulator's own.
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
	case http.StatusServiceUnavailable:
		message = "Service unavailable. Try again later."
	}

	s.opts.Logger.Info("request failed on purpose", "status", f.status, "retryAfter", f.retryAfter)
	writeErrors(w, f.status, []string{message}, nil)
}
