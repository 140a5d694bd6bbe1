package graph_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/fieldlink/fieldlink/emulator/graph"
)

const userPath = "/v1.0/users/" + amelieID

func TestThrottleNextRetryAfterForms(t *testing.T) {
	tests := []struct {
		name, retryAfter string
	}{
		{"whole seconds", "10"},
		{"decimal seconds", "2.128"},
		{"HTTP date", "Sun, 06 Nov 1994 08:49:37 GMT"},
		{"none", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, graph.Options{})
			f.server.ThrottleNext(1, tt.retryAfter)

			r := f.get(t, userPath, "reader", nil)
			if msg := checkError(t, r, http.StatusTooManyRequests, "TooManyRequests"); msg != "Please retry again later." {
				t.Errorf("message = %q, want Graph's %q", msg, "Please retry again later.")
			}
			got, present := r.header["Retry-After"]
			switch {
			case tt.retryAfter == "" && present:
				t.Errorf("Retry-After = %q, want no header", got)
			case tt.retryAfter != "" && r.header.Get("Retry-After") != tt.retryAfter:
				t.Errorf("Retry-After = %q, want %q", r.header.Get("Retry-After"), tt.retryAfter)
			}
		})
	}
}

func TestThrottleInnerErrorStatus(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.ThrottleNext(1, "1")

	r := f.get(t, userPath, "reader", nil)
	var body struct {
		Error struct {
			InnerError struct {
				Code   string `json:"code"`
				Status string `json:"status"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if body.Error.InnerError.Code != "429" {
		t.Errorf("innerError.code = %q, want %q", body.Error.InnerError.Code, "429")
	}
	if body.Error.InnerError.Status != "429" {
		t.Errorf("innerError.status = %q, want %q", body.Error.InnerError.Status, "429")
	}
}

func TestThrottleNextThenServes(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.ThrottleNext(2, "1")

	for i := range 2 {
		if r := f.get(t, userPath, "reader", nil); r.status != http.StatusTooManyRequests {
			t.Errorf("request %d: status = %d, want 429", i+1, r.status)
		}
	}
	if r := f.get(t, userPath, "reader", nil); r.status != http.StatusOK {
		t.Errorf("request 3: status = %d, want 200; body: %s", r.status, r.body)
	}
	if got := f.server.Requests(); got != 3 {
		t.Errorf("Requests() = %d, want 3", got)
	}
}

func TestUnavailableNext(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.UnavailableNext(1, "3")

	r := f.get(t, userPath, "reader", nil)
	checkError(t, r, http.StatusServiceUnavailable, "serviceNotAvailable")
	if got := r.header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q, want %q", got, "3")
	}
}

func TestFailNextQueuesInOrder(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.UnavailableNext(1, "")
	f.server.FailNext(1, graph.Fault{Status: http.StatusInternalServerError})
	f.server.ThrottleNext(1, "")

	checkError(t, f.get(t, userPath, "reader", nil), http.StatusServiceUnavailable, "serviceNotAvailable")
	checkError(t, f.get(t, userPath, "reader", nil), http.StatusInternalServerError, "generalException")
	checkError(t, f.get(t, userPath, "reader", nil), http.StatusTooManyRequests, "TooManyRequests")
	if r := f.get(t, userPath, "reader", nil); r.status != http.StatusOK {
		t.Errorf("after the faults: status = %d, want 200", r.status)
	}
}

func TestThrottleBeforeAuthorization(t *testing.T) {
	f := setup(t, graph.Options{})
	f.server.ThrottleNext(1, "1")

	// A throttled client gets 429 whatever its token.
	r := f.get(t, userPath, "", nil)
	checkError(t, r, http.StatusTooManyRequests, "TooManyRequests")
}
