package graph

import (
	"bytes"
	"net/http"
	"strconv"
)

// Truncation is a way a response's body is cut short on its way to the
// client.
type Truncation int

const (
	// CutConnection sends the headers with the full Content-Length and the
	// first half of the body, then closes the connection, as when a network
	// path or a proxy drops the response midway. The client reads an
	// unexpected end of the body.
	CutConnection Truncation = iota + 1

	// CutJSON sends a complete HTTP response whose body is the first half
	// of the JSON document, with a Content-Length to match, as a faulty
	// gateway does. The HTTP exchange succeeds and the JSON does not parse.
	CutJSON
)

// bufferedResponse is an http.ResponseWriter that keeps the response, so it
// can be sent cut short afterwards.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// serveTruncated serves r as usual into a buffer, then sends the response
// cut short as t describes.
func (s *Server) serveTruncated(w http.ResponseWriter, r *http.Request, ids requestIDs, t Truncation) {
	buffered := &bufferedResponse{header: w.Header()}
	s.serve(buffered, r, ids)
	if buffered.status == 0 {
		buffered.status = http.StatusOK
	}
	body := buffered.body.Bytes()
	half := body[:len(body)/2]

	s.opts.Logger.Info("graph: response cut short", "truncation", int(t), "bytes", len(body), "sent", len(half), "request_id", ids.request)
	if t == CutJSON {
		w.Header().Set("Content-Length", strconv.Itoa(len(half)))
		w.WriteHeader(buffered.status)
		w.Write(half)
		return
	}

	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(buffered.status)
	w.Write(half)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	// net/http closes the connection without logging for this value,
	// which leaves the client short of the declared Content-Length.
	panic(http.ErrAbortHandler)
}
