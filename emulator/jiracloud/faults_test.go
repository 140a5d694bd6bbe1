package jiracloud_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestThrottleNext(t *testing.T) {
	emu, srv := newSite(t)
	emu.ThrottleNext(2, "3")

	for i := range 2 {
		resp := get(t, srv, "/rest/api/3/issue/ITH-1", apiEmail, apiToken)
		if resp.status != http.StatusTooManyRequests {
			t.Fatalf("request %d status = %d, want 429", i, resp.status)
		}
		if v := resp.header.Get("Retry-After"); v != "3" {
			t.Errorf("Retry-After = %q, want 3", v)
		}
		if v := resp.header.Get("X-RateLimit-Reset"); v != "2024-12-04T19:00Z" {
			t.Errorf("X-RateLimit-Reset = %q, want the request time plus 3 s to the minute", v)
		}
		var body struct{ ErrorMessages []string }
		if err := json.Unmarshal([]byte(resp.body), &body); err != nil || len(body.ErrorMessages) != 1 {
			t.Errorf("body = %s, want Jira's error collection with one message", resp.body)
		}
	}

	if resp := get(t, srv, "/rest/api/3/issue/ITH-1", apiEmail, apiToken); resp.status != http.StatusOK {
		t.Errorf("status after the throttled requests = %d, want 200", resp.status)
	}
}

func TestFailNext(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			emu, srv := newSite(t)
			emu.FailNext(1, status)

			resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`)
			if resp.status != status {
				t.Fatalf("status = %d, want %d", resp.status, status)
			}
			if v := resp.header.Get("Retry-After"); v != "" {
				t.Errorf("Retry-After = %q, want none", v)
			}
			if n := len(emu.Edits("ITH-1")); n != 0 {
				t.Errorf("%d edits applied by a failed request, want 0", n)
			}

			if resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`); resp.status != http.StatusNoContent {
				t.Errorf("status of the next request = %d, want 204", resp.status)
			}
		})
	}
}
