package jiracloud_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/jiracloud"
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

func TestFailNextConflictBody(t *testing.T) {
	emu, srv := newSite(t)
	emu.FailNext(1, http.StatusConflict)

	resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`)
	if resp.status != http.StatusConflict {
		t.Fatalf("status = %d, want 409", resp.status)
	}
	if ct := resp.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q, want Jira's JSON type", ct)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.body), &body); err != nil {
		t.Fatalf("body %s is not JSON: %v", resp.body, err)
	}
	want := map[string]any{
		"errorMessages": []any{"The issue is being changed by another request."},
		"errors":        map[string]any{},
	}
	if diff := cmp.Diff(body, want); diff != "" {
		t.Errorf("409 body (-got +want):\n%s", diff)
	}
	if n := len(emu.Edits("ITH-1")); n != 0 {
		t.Errorf("%d edits applied by a failed request, want 0", n)
	}
}

// The document lists 409 with the ErrorCollection schema for a few
// operations, such as deleting a custom field. Faults are sent before
// routing, so a fault on that path checks the body against the schema.
func TestFailNextConflictMatchesSpec(t *testing.T) {
	emu := jiracloud.New(jiracloud.Options{
		APIUsers: map[string]string{apiEmail: apiToken},
		Spec:     loadSpec(t),
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	t.Cleanup(emu.Close)

	emu.FailNext(1, http.StatusConflict)
	resp := do(t, srv, http.MethodDelete, "/rest/api/3/field/customfield_10050", apiEmail, apiToken, "")
	if resp.status != http.StatusConflict {
		t.Fatalf("status = %d, want 409", resp.status)
	}
	if v := emu.SpecViolations(); len(v) != 0 {
		t.Errorf("409 response does not conform to the document: %q", v)
	}
	if n := emu.SpecOperations()["deleteCustomField 409"]; n != 1 {
		t.Errorf("deleteCustomField 409 checked %d times, want 1 (operations %v)", n, emu.SpecOperations())
	}
}

func TestFailNextEditsServesOtherRequests(t *testing.T) {
	emu, srv := newSite(t)
	emu.FailNextEdits(2, http.StatusInternalServerError)

	if resp := get(t, srv, "/rest/api/3/issue/ITH-1/editmeta", apiEmail, apiToken); resp.status != http.StatusOK {
		t.Errorf("editmeta status = %d, want 200 while only edits fail", resp.status)
	}
	for i := range 2 {
		if resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`); resp.status != http.StatusInternalServerError {
			t.Errorf("edit %d status = %d, want 500", i+1, resp.status)
		}
	}
	if resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`); resp.status != http.StatusNoContent {
		t.Errorf("edit after the failures status = %d, want 204", resp.status)
	}
	if n := len(emu.Edits("ITH-1")); n != 1 {
		t.Errorf("%d edits applied, want 1", n)
	}

	want := map[string]int{
		"GET /rest/api/3/issue/{issueIdOrKey}/editmeta": 1,
		jiracloud.EditPattern:                           3,
	}
	if diff := cmp.Diff(emu.Requests(), want); diff != "" {
		t.Errorf("requests (-got +want):\n%s", diff)
	}
}

func TestThrottleNextEditsKeepsOrder(t *testing.T) {
	emu, srv := newSite(t)
	emu.ThrottleNextEdits(1, "5")
	emu.FailNext(1, http.StatusServiceUnavailable)

	// The first request is not an edit, so it skips the edit fault and
	// gets the next one that applies to any request.
	if resp := get(t, srv, "/rest/api/3/issue/ITH-1", apiEmail, apiToken); resp.status != http.StatusServiceUnavailable {
		t.Errorf("read status = %d, want 503", resp.status)
	}
	resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`)
	if resp.status != http.StatusTooManyRequests || resp.header.Get("Retry-After") != "5" {
		t.Errorf("edit status = %d with Retry-After %q, want 429 with 5", resp.status, resp.header.Get("Retry-After"))
	}
	if resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`); resp.status != http.StatusNoContent {
		t.Errorf("status once the faults are used = %d, want 204", resp.status)
	}
}

func TestFailNextEditsAfterApplying(t *testing.T) {
	emu, srv := newSite(t)
	emu.FailNextEditsAfterApplying(1, http.StatusInternalServerError)

	resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`)
	if resp.status != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", resp.status)
	}
	if n := len(emu.Edits("ITH-1")); n != 1 {
		t.Errorf("%d edits applied, want 1: the edit takes effect before the fault", n)
	}
	issue, _ := emu.Issue("ITH-1")
	if got := issue["summary"]; got != "Changed" {
		t.Errorf("summary = %v, want Changed", got)
	}
}

func TestClearFaults(t *testing.T) {
	emu, srv := newSite(t)
	emu.ThrottleNext(5, "1")
	emu.FailNextEdits(5, http.StatusConflict)
	emu.ClearFaults()

	if resp := put(t, srv, "/rest/api/3/issue/ITH-1", `{"fields": {"summary": "Changed"}}`); resp.status != http.StatusNoContent {
		t.Errorf("status after ClearFaults = %d, want 204", resp.status)
	}
}
