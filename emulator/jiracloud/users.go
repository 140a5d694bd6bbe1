package jiracloud

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
)

// normalized fills in the AccountID and DisplayName an Account may omit.
func (a Account) normalized() Account {
	if a.AccountID == "" {
		a.AccountID = accountID(a.Email)
	}
	if a.DisplayName == "" {
		a.DisplayName, _, _ = strings.Cut(a.Email, "@")
	}
	return a
}

// accountID derives a stable account ID from an email address, in the
// "712020:<uuid>" form Jira Cloud gives accounts created on a site.
func accountID(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	h := hex.EncodeToString(sum[:16])
	return "712020:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// userJSON renders an account as Jira's user object, leaving out the email
// address when the account hides it. api is "2" for webhooks and "3" for
// REST v3 responses, as in the "self" links Jira Cloud writes.
func userJSON(a Account, base, api string) map[string]any {
	a = a.normalized()
	u := map[string]any{
		"self":        base + "/rest/api/" + api + "/user?accountId=" + url.QueryEscape(a.AccountID),
		"accountId":   a.AccountID,
		"avatarUrls":  avatarURLs(base + "/secure/useravatar?ownerId=" + url.QueryEscape(a.AccountID)),
		"displayName": a.DisplayName,
		"active":      true,
		"timeZone":    "Etc/UTC",
		"accountType": "atlassian",
	}
	if !a.EmailHidden && a.Email != "" {
		u["emailAddress"] = a.Email
	}
	return u
}

// avatarURLs returns Jira's four avatar sizes of one image.
func avatarURLs(image string) map[string]string {
	sep := "?"
	if strings.Contains(image, "?") {
		sep = "&"
	}
	urls := map[string]string{}
	for _, size := range []string{"16", "24", "32", "48"} {
		urls[size+"x"+size] = image + sep + "size=" + size
	}
	return urls
}

// getMyself serves GET /rest/api/3/myself for the authenticated API user.
func (s *Server) getMyself(w http.ResponseWriter, r *http.Request, email string) {
	u := userJSON(Account{Email: email}, s.base(r), "3")
	u["locale"] = "en_US"
	u["groups"] = map[string]any{"size": 1, "items": []any{}}
	u["applicationRoles"] = map[string]any{"size": 1, "items": []any{}}
	u["expand"] = "groups,applicationRoles"
	writeJSON(w, http.StatusOK, u)
}

// rfc3339Millis is the date-time format the document declares for
// serverInfo's times. Issue fields use Jira's own layout instead.
const rfc3339Millis = "2006-01-02T15:04:05.000Z07:00"

// getServerInfo serves GET /rest/api/3/serverInfo.
func (s *Server) getServerInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"baseUrl":        s.base(r),
		"version":        "1001.0.0-SNAPSHOT",
		"versionNumbers": []int{1001, 0, 0},
		"deploymentType": "Cloud",
		"buildNumber":    100000,
		"buildDate":      "2025-01-01T00:00:00.000Z",
		"serverTime":     s.opts.Now().Format(rfc3339Millis),
		"scmInfo":        "0000000000000000000000000000000000000000",
		"serverTitle":    "Jira",
	})
}

// AddUser makes an account known to the site, so that GET /rest/api/3/user
// finds it and it can become a request participant, and returns its account
// ID. Reporters of created issues and the API users are known already.
func (s *Server) AddUser(a Account) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUser(a)
}

// addUser records the account and returns its ID. The caller holds mu.
func (s *Server) addUser(a Account) string {
	a = a.normalized()
	s.users[a.AccountID] = a
	return a.AccountID
}

// msgUserNotFound is Jira's message for an account ID it does not know.
const msgUserNotFound = "Specified user does not exist or you do not have required permissions"

// getUser serves GET /rest/api/3/user?accountId=…. The email address is
// left out for an account whose privacy settings hide it, as Jira does.
//
// NOTE: a request without accountId gets the 404 for an unknown user. The
// username and key parameters, which Jira Cloud no longer honours, are
// ignored.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, _ string) {
	base := s.base(r)
	id := r.URL.Query().Get("accountId")

	s.mu.Lock()
	a, ok := s.users[id]
	s.mu.Unlock()

	if !ok {
		writeErrors(w, http.StatusNotFound, []string{msgUserNotFound}, nil)
		return
	}

	u := userJSON(a, base, "3")
	u["locale"] = "en_US"
	u["groups"] = map[string]any{"size": 1, "items": []any{}}
	u["applicationRoles"] = map[string]any{"size": 1, "items": []any{}}
	u["expand"] = "groups,applicationRoles"
	writeJSON(w, http.StatusOK, u)
}
