package graph

import (
	"net/http"
)

// Fault is an error response that the server sends in place of serving a
// request, as Graph does when it throttles a client or is unavailable, or a
// response cut short on its way to the client.
type Fault struct {
	// Status is the HTTP status code, such as 429, 500 or 503.
	Status int

	// RetryAfter is the Retry-After header value, sent as it is: whole
	// seconds ("10"), decimal seconds ("2.128"), an HTTP-date, or anything
	// else a test needs. Empty sends no header.
	RetryAfter string

	// Truncation, when set, serves the request as usual and cuts the
	// response's body as it describes. Status and RetryAfter are then
	// ignored.
	Truncation Truncation
}

// FailNext makes the next n requests fail with f, after the faults already
// queued. The failed requests count in Requests.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()

	for range n {
		s.faults = append(s.faults, f)
	}
}

// ThrottleNext makes the next n requests fail with 429 Too Many Requests and
// Graph's TooManyRequests error body, with retryAfter as the Retry-After
// header value ("" for none).
func (s *Server) ThrottleNext(n int, retryAfter string) {
	s.FailNext(n, Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// UnavailableNext makes the next n requests fail with 503 Service
// Unavailable, with retryAfter as the Retry-After header value ("" for
// none).
func (s *Server) UnavailableNext(n int, retryAfter string) {
	s.FailNext(n, Fault{Status: http.StatusServiceUnavailable, RetryAfter: retryAfter})
}

// TruncateNext makes the next n responses arrive cut short as t describes.
func (s *Server) TruncateNext(n int, t Truncation) {
	s.FailNext(n, Fault{Truncation: t})
}

// ClearFaults drops the faults still queued, so the next request is served
// as usual. It returns how many were dropped.
func (s *Server) ClearFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	dropped := len(s.faults)
	s.faults = nil
	return dropped
}

// SetEndlessPaging turns endless paging on or off. While it is on, every
// page of GET /v1.0/users carries an @odata.nextLink to a further page, past
// the last user with pages that have no users, as an API whose paging is
// broken does. Each link has a new $skiptoken, so no link repeats.
func (s *Server) SetEndlessPaging(on bool) {
	s.endlessPaging.Store(on)
}

// nextFault removes the first queued fault and reports whether there was
// one.
func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// serveFault sends f in place of the response to r.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, ids requestIDs, f Fault) {
	if f.Truncation != 0 {
		s.serveTruncated(w, r, ids, f.Truncation)
		return
	}
	s.writeFault(w, ids, f)
}

// writeFault sends f with the body Graph sends for its status.
func (s *Server) writeFault(w http.ResponseWriter, ids requestIDs, f Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	e, inner := faultError(f.Status)
	s.writeErrorWithInner(w, ids, e, inner)
}

// faultError returns Graph's error for a fault's status and the members it
// adds to innerError. The 429 body follows the sample response of Graph's
// throttling guide, which repeats the status in innerError. The 503 and
// other codes are the ones Graph's error reference lists for these statuses.
//
// NOTE: the messages of the 503 and other fault bodies are the emulator's
// own; Graph's exact text for them is unconfirmed.
func faultError(status int) (graphError, object) {
	switch status {
	case http.StatusTooManyRequests:
		e := graphError{status, "TooManyRequests", "Please retry again later."}
		return e, object{{"code", "429"}, {"message", "Please retry after"}, {"status", "429"}}
	case http.StatusServiceUnavailable:
		return graphError{status, "serviceNotAvailable", "The service is temporarily unavailable. Retry the request after a delay."}, nil
	}
	return graphError{status, "generalException", "An unspecified error has occurred."}, nil
}
