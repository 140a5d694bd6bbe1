package entra

import (
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
)

// Fault is a misbehaviour of the token endpoint for one token request. It is
// a response after a delay, a server error in Entra ID's JSON shape, or an
// HTML page in place of JSON, as a proxy or a captive portal sends.
type Fault struct {
	// Delay is waited before the response, on top of Options.Latency. The
	// wait ends early when the client gives up, and the server then sends
	// nothing. With Status zero the response after the delay is the usual
	// one, so a client whose timeout is shorter than Delay times out.
	Delay time.Duration

	// Status is the HTTP status code sent in place of the usual response,
	// such as 500 or 503. Zero keeps the usual response.
	Status int

	// HTML reports whether the body is an HTML page with Content-Type
	// text/html, as a proxy or captive portal sends, in place of Entra ID's
	// JSON error. With Status zero the page comes with 200 OK.
	HTML bool
}

// FailNext makes the next n token requests misbehave as f describes, after
// the faults already queued. The requests still count in TokenRequests.
// Requests to the /error page are not affected.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()

	for range n {
		s.faults = append(s.faults, f)
	}
}

// ServerErrorNext makes the next n token requests fail with status, such as
// 500 Internal Server Error or 503 Service Unavailable, and a JSON error body
// in Entra ID's shape.
func (s *Server) ServerErrorNext(n, status int) {
	s.FailNext(n, Fault{Status: status})
}

// SlowNext makes the next n token requests wait for delay before the usual
// response.
func (s *Server) SlowNext(n int, delay time.Duration) {
	s.FailNext(n, Fault{Delay: delay})
}

// HTMLNext makes the next n token requests return an HTML error page with
// status (0 for 200 OK) in place of JSON.
func (s *Server) HTMLNext(n, status int) {
	s.FailNext(n, Fault{Status: status, HTML: true})
}

// ClearFaults drops the faults still queued, so the next token request is
// served as usual. It returns how many were dropped.
func (s *Server) ClearFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()

	dropped := len(s.faults)
	s.faults = nil
	return dropped
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

// serveFault sends f's response for a token request to tenant. It sends
// nothing when the client goes away during f.Delay.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, tenant string, f Fault) {
	if !s.sleep(r, f.Delay) {
		return
	}

	switch {
	case f.HTML:
		s.writeHTMLPage(w, r, f.Status)
	case f.Status != 0:
		s.writeError(w, r, serverError(f.Status))
	default:
		s.serveToken(w, r, tenant)
	}
}

// serverError returns the token endpoint error for a server-side status.
// The error values are the ones RFC 6749 §4.1.2.1 defines for a server that
// fails or is overloaded.
//
// NOTE: the AADSTS codes and messages of these errors are the emulator's
// own; the text Entra ID sends during an outage is unconfirmed.
func serverError(status int) tokenError {
	if status == http.StatusServiceUnavailable {
		return tokenError{status, "temporarily_unavailable", CodeServiceUnavailable,
			"The service is temporarily unavailable. Retry the request after a delay."}
	}
	return tokenError{status, "server_error", CodeServerError,
		"There was an error issuing a token. Retry the request after a delay."}
}

// htmlPageStyle pads the HTML page to a few kilobytes, as real proxy and
// portal pages are, so a client that shows the body as it is gets a long
// message.
var htmlPageStyle = strings.Repeat("  .notice p { margin: 0 0 1em 0; font-family: Segoe UI, Helvetica, Arial, sans-serif; }\n", 60)

// writeHTMLPage sends an HTML error page with status, or 200 OK for zero,
// as a forward proxy or a captive portal does in place of the token
// endpoint's response.
func (s *Server) writeHTMLPage(w http.ResponseWriter, r *http.Request, status int) {
	if status == 0 {
		status = http.StatusOK
	}
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if status == http.StatusOK {
		title = "Network sign-in required"
	}

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%s</title>
<style>
%s</style>
</head>
<body>
<div class="notice">
<h1>%s</h1>
<p>The page you requested, %s, could not be reached through this network.</p>
<p>Contact your network administrator.</p>
</div>
</body>
</html>
`, title, htmlPageStyle, title, html.EscapeString(r.Host))

	s.opts.Logger.Info("entra: HTML page sent in place of a token response", "status", status)
}
