package jira_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/jira"
)

// fuzzWebhookSeeds are webhook and Automation bodies from the package's
// tests, plus a few malformed ones.
func fuzzWebhookSeeds() []string {
	issue := `{"id": 10042, "key": "ITH-42", "fields": {"updated": "2025-03-04T09:30:11.662+0100", "project": {"key": "ITH"}, "reporter": {"accountId": "712020:reporter", "emailAddress": "priya.nair@fabrikam.example"}}}`
	return []string{
		createdBody(`"adele.vance@contoso.example"`),
		createdBody("null"),
		createdBody("-"),
		`{"webhookEvent":"jira:issue_updated","issue":{"key":"ITH-1","fields":{"customfield_10010":null}}}`,
		`{"webhookEvent":"jira:issue_updated","timestamp":1.7e12,"issue":{"id":10007,"key":"ITH-7"}}`,
		`{"timestamp": 1733338800123, "webhookEvent": "jira:issue_updated", "issue": {"id": "10042", "key": "ITH-42", "fields": {}}, "changelog": {"items": [{"field": "labels", "fieldtype": "jira", "fromString": "a", "toString": "a b"}, 7]}}`,
		`{"webhookEvent": "jira:issue_created",`,
		`{"issue":{"key":"ITH-1"}}`,
		`{"webhookEvent":"jira:issue_created"}`,
		`{"webhookEvent":"jira:issue_created","issue":{"id":"10001"}}`,
		`{"webhookEvent":"jira:issue_created","timestamp":"soon","issue":{"key":"ITH-1"}}`,
		`{"webhookEvent":"jira:issue_created","timestamp":1e300,"issue":{"key":"ITH-1","id":{"x":[]}}}`,
		`{"issue": ` + issue + `}`,
		`{"issue": ` + issue + `, "user": {"accountId": "712020:agent"}}`,
		issue,
		`{"webhookEvent": "x"}`,
		`{"issue": {"fields": {}}}`,
		`{"issue": {"key": "ITH-1"}}`,
		`[]`,
		`null`,
		"",
	}
}

// FuzzParseWebhook checks that ParseWebhook and ParseIssue never panic, that
// a failure is a *fieldlink.Error with code EInvalid, and that a parsed body
// has the members the rest of the service reads. A webhook body re-encoded
// from Raw, as a stored event is read back, parses to the same delivery.
func FuzzParseWebhook(f *testing.F) {
	for _, s := range fuzzWebhookSeeds() {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := jira.ParseWebhook(body)
		if err != nil {
			checkInvalid(t, "ParseWebhook", err)
		} else {
			if w.Event == "" || w.IssueKey == "" {
				t.Fatalf("ParseWebhook(%q) = event %q key %q, want both set", body, w.Event, w.IssueKey)
			}
			if w.Raw == nil {
				t.Fatalf("ParseWebhook(%q) has no Raw body", body)
			}

			encoded, err := json.Marshal(w.Raw)
			if err != nil {
				t.Fatalf("encode Raw of %q: %v", body, err)
			}
			again, err := jira.ParseWebhook(encoded)
			if err != nil {
				t.Fatalf("ParseWebhook(re-encoded %q): %v", encoded, err)
			}
			if again.Event != w.Event || again.IssueKey != w.IssueKey || again.Timestamp != w.Timestamp {
				t.Errorf("re-encoded body parses to %q %q %d, want %q %q %d",
					again.Event, again.IssueKey, again.Timestamp, w.Event, w.IssueKey, w.Timestamp)
			}
		}

		issue, err := jira.ParseIssue(body)
		if err != nil {
			checkInvalid(t, "ParseIssue", err)
			return
		}
		if issue.IssueKey == "" || issue.Raw == nil {
			t.Fatalf("ParseIssue(%q) = key %q raw %v, want a key and a raw body", body, issue.IssueKey, issue.Raw)
		}
		if _, ok := issue.Raw["issue"].(map[string]any); !ok {
			t.Fatalf("ParseIssue(%q).Raw has no issue object", body)
		}
	})
}

func checkInvalid(t *testing.T, name string, err error) {
	t.Helper()
	var fe *fieldlink.Error
	if !errors.As(err, &fe) || fe.Code != fieldlink.EInvalid {
		t.Fatalf("%s error = %T %v, want a *fieldlink.Error with code %s", name, err, err, fieldlink.EInvalid)
	}
}

// FuzzVerifySignature checks that VerifySignature never panics on any
// secret, body or header, returns nil or one of its documented errors, and
// accepts the signature that Sign makes.
func FuzzVerifySignature(f *testing.F) {
	const secret = "It's a Secret to Everybody"
	body := []byte(`{"webhookEvent":"jira:issue_created","issue":{"key":"ITH-1"}}`)
	good := "sha256=" + hex.EncodeToString(jira.Sign(secret, body))

	f.Add(secret, body, good)
	f.Add(secret, body, "SHA256="+good[len("sha256="):])
	f.Add("another secret", body, good)
	f.Add(secret, body, "")
	f.Add(secret, body, "sha1="+good[len("sha256="):])
	f.Add(secret, body, good[len("sha256="):])
	f.Add(secret, body, "sha256=zz"+good[len("sha256=")+2:])
	f.Add(secret, body, good[:len(good)-2])
	f.Add("", body, good)
	f.Add(secret, []byte{}, "sha256=")
	f.Add(secret, body, " sha256=\t")

	known := []error{
		jira.ErrSecretEmpty, jira.ErrSignatureMissing, jira.ErrSignatureAlgorithm,
		jira.ErrSignatureEncoding, jira.ErrSignatureMismatch,
	}

	f.Fuzz(func(t *testing.T, secret string, body []byte, header string) {
		err := jira.VerifySignature(secret, body, header)
		if err != nil {
			isKnown := false
			for _, k := range known {
				isKnown = isKnown || errors.Is(err, k)
			}
			if !isKnown {
				t.Fatalf("VerifySignature(%q, %q, %q) = %v, want nil or a documented error", secret, body, header, err)
			}
		}

		if secret == "" {
			return
		}
		signed := "sha256=" + hex.EncodeToString(jira.Sign(secret, body))
		if err := jira.VerifySignature(secret, body, signed); err != nil {
			t.Fatalf("VerifySignature rejects the signature Sign made for %q: %v", body, err)
		}
	})
}
