package httpapi

import (
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink/jira"
)

func TestIntakeIgnoresNonIssueEvents(t *testing.T) {
	a := newAPI(t)
	hook := hookSetup(t, a)
	body := []byte(`{"timestamp":1796000000080,"webhookEvent":"comment_created","comment":{"id":"1"}}`)
	signature := "sha256=" + hex.EncodeToString(jira.Sign(hook.Secret, body))

	r := a.call("POST", "/hooks/jira/"+hook.ID, "", body, "X-Hub-Signature", signature)

	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", r.status, r.body)
	}
	got := decodeBody[IntakeBody](t, r)
	if got.Status != "ignored" || !strings.Contains(got.Reason, "does not process comment_created events") {
		t.Errorf("answer = %+v, want ignored with the reason", got)
	}
	if n := len(a.queue.stored); n != 0 {
		t.Errorf("%d events stored, want 0", n)
	}
}
