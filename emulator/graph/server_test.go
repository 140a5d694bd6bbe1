package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/fieldlink/fieldlink/emulator/graph"
)

const (
	wantContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

	amelieID = "2aee0129-7e46-42b8-ab04-58e3ae936dcc"
	guestUPN = "lena.fischer_partner.example#EXT#@fabrikam.example"
)

var errorDateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)

// verifyFake accepts the tokens named after the case they model.
func verifyFake(raw string) ([]string, error) {
	switch raw {
	case "reader":
		return []string{"User.Read.All"}, nil
	case "directory-reader":
		return []string{"Directory.Read.All"}, nil
	case "no-roles":
		return nil, nil
	case "mail-sender":
		return []string{"Mail.Send"}, nil
	case "expired":
		return nil, fmt.Errorf("verify access token: %w", jwt.ErrTokenExpired)
	case "other-audience":
		return nil, fmt.Errorf("verify access token: %w", jwt.ErrTokenInvalidAudience)
	}
	return nil, errors.New("verify access token: token is malformed")
}

type fixture struct {
	server *graph.Server
	http   *httptest.Server
}

func setup(t *testing.T, opts graph.Options) fixture {
	t.Helper()
	if opts.Users == nil {
		opts.Users = graph.SampleDirectory()
	}
	if opts.VerifyToken == nil {
		opts.VerifyToken = verifyFake
	}
	srv := graph.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return fixture{server: srv, http: ts}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// get sends GET target (a path or an absolute URL) with the bearer token.
func (f fixture) get(t *testing.T, target, token string, header http.Header) response {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = f.http.URL + target
	}

	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for name, values := range header {
		req.Header[name] = values
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// objectKeys returns the keys of the top-level JSON object in order.
func objectKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		t.Fatalf("read object start: %v", err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("read key: %v", err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("read value: %v", err)
		}
	}
	return keys
}

// checkError checks Graph's error shape and returns the message.
func checkError(t *testing.T, r response, wantStatus int, wantCode string) string {
	t.Helper()

	if r.status != wantStatus {
		t.Errorf("status = %d, want %d; body: %s", r.status, wantStatus, r.body)
	}
	var body struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				Date            string `json:"date"`
				RequestID       string `json:"request-id"`
				ClientRequestID string `json:"client-request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("decode error body %s: %v", r.body, err)
	}

	if body.Error.Code != wantCode {
		t.Errorf("code = %q, want %q", body.Error.Code, wantCode)
	}
	if !errorDateRE.MatchString(body.Error.InnerError.Date) {
		t.Errorf("innerError.date = %q, want the form 2006-01-02T15:04:05", body.Error.InnerError.Date)
	}
	if got, want := body.Error.InnerError.RequestID, r.header.Get("request-id"); !guidRE.MatchString(got) || got != want {
		t.Errorf("innerError.request-id = %q, want the request-id header %q, a GUID", got, want)
	}
	if got, want := body.Error.InnerError.ClientRequestID, r.header.Get("client-request-id"); got != want {
		t.Errorf("innerError.client-request-id = %q, want the client-request-id header %q", got, want)
	}
	if got := r.header.Get("Content-Type"); got != wantContentType {
		t.Errorf("Content-Type = %q, want %q", got, wantContentType)
	}
	return body.Error.Message
}

func TestGetUserDefaultSelect(t *testing.T) {
	f := setup(t, graph.Options{})

	r := f.get(t, "/v1.0/users/"+amelieID, "reader", nil)

	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
	}
	want := map[string]any{
		"@odata.context":    f.http.URL + "/v1.0/$metadata#users/$entity",
		"businessPhones":    []any{},
		"displayName":       "Amélie Laurent",
		"givenName":         "Amélie",
		"jobTitle":          "Service Desk Lead",
		"mail":              "amelie.laurent@fabrikam.example",
		"mobilePhone":       nil,
		"officeLocation":    "Paris",
		"preferredLanguage": nil,
		"surname":           "Laurent",
		"userPrincipalName": "amelie.laurent@fabrikam.example",
		"id":                amelieID,
	}
	if diff := cmp.Diff(want, decode(t, r.body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	wantKeys := []string{"@odata.context", "businessPhones", "displayName", "givenName", "jobTitle", "mail",
		"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	if diff := cmp.Diff(wantKeys, objectKeys(t, r.body)); diff != "" {
		t.Errorf("key order (-want +got):\n%s", diff)
	}
	if got := r.header.Get("Content-Type"); got != wantContentType {
		t.Errorf("Content-Type = %q, want %q", got, wantContentType)
	}
	if got := r.header.Get("request-id"); !guidRE.MatchString(got) {
		t.Errorf("request-id = %q, want a GUID", got)
	}
	if got := r.header.Get("client-request-id"); got != r.header.Get("request-id") {
		t.Errorf("client-request-id = %q, want the request-id when the client sends none", got)
	}
}

func TestGetUserSelectOneProperty(t *testing.T) {
	f := setup(t, graph.Options{})

	r := f.get(t, "/v1.0/users/"+amelieID+"?$select=officeLocation", "reader", nil)

	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
	}
	want := map[string]any{
		"@odata.context": f.http.URL + "/v1.0/$metadata#users(officeLocation)/$entity",
		"officeLocation": "Paris",
	}
	if diff := cmp.Diff(want, decode(t, r.body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestGetUserSelectCanonicalNames(t *testing.T) {
	f := setup(t, graph.Options{})

	r := f.get(t, "/v1.0/users/"+amelieID+"?$select="+url.QueryEscape("DisplayName, department,accountEnabled,companyName,otherMails"), "reader", nil)

	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
	}
	want := map[string]any{
		"@odata.context": f.http.URL + "/v1.0/$metadata#users(displayName,department,accountEnabled,companyName,otherMails)/$entity",
		"displayName":    "Amélie Laurent",
		"department":     "IT",
		"accountEnabled": true,
		"companyName":    nil,
		"otherMails":     []any{},
	}
	if diff := cmp.Diff(want, decode(t, r.body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestGetUserNullOffice(t *testing.T) {
	f := setup(t, graph.Options{})

	r := f.get(t, "/v1.0/users/noah.williams@fabrikam.example?$select=displayName,officeLocation", "reader", nil)

	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
	}
	if !bytes.Contains(r.body, []byte(`"officeLocation":null`)) {
		t.Errorf("body = %s, want officeLocation serialized as null", r.body)
	}
}

func TestGetUserByUPN(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		wantID    string
		wantEmail string
	}{
		{"upper case UPN", "/v1.0/users/AMELIE.LAURENT@FABRIKAM.EXAMPLE", amelieID, "amelie.laurent@fabrikam.example"},
		{"guest UPN path-escaped", "/v1.0/users/" + url.PathEscape(guestUPN), "ede1de79-a46c-46d5-ae6d-46f4fa20fc38", "lena.fischer@partner.example"},
		{"apostrophe UPN", "/v1.0/users/" + url.PathEscape("sean.o'brien@fabrikam.example"), "cb06088c-56d9-4d49-81eb-fcefd17d43b0", "sean.o'brien@fabrikam.example"},
		{"upper case ID", "/v1.0/users/" + strings.ToUpper(amelieID), amelieID, "amelie.laurent@fabrikam.example"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, graph.Options{})

			r := f.get(t, tt.path+"?$select=id,mail", "reader", nil)

			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
			}
			body := decode(t, r.body)
			if body["id"] != tt.wantID {
				t.Errorf("id = %v, want %s", body["id"], tt.wantID)
			}
			if body["mail"] != tt.wantEmail {
				t.Errorf("mail = %v, want %s", body["mail"], tt.wantEmail)
			}
		})
	}
}

func TestGuestUPNPathIsEscaped(t *testing.T) {
	escaped := url.PathEscape(guestUPN)

	if !strings.Contains(escaped, "%23EXT%23") {
		t.Errorf("PathEscape(%q) = %q, want #EXT# escaped as %%23EXT%%23", guestUPN, escaped)
	}
}

func TestGetUserNotFound(t *testing.T) {
	f := setup(t, graph.Options{})
	clientRequestID := "0f8fad5b-d9cb-469f-a165-70867728950e"

	r := f.get(t, "/v1.0/users/nobody@fabrikam.example", "reader", http.Header{"Client-Request-Id": {clientRequestID}})

	message := checkError(t, r, http.StatusNotFound, "Request_ResourceNotFound")
	want := "Resource 'nobody@fabrikam.example' does not exist or one of its queried reference-property objects are not present."
	if message != want {
		t.Errorf("message = %q, want %q", message, want)
	}
	if got := r.header.Get("client-request-id"); got != clientRequestID {
		t.Errorf("client-request-id = %q, want the one sent, %q", got, clientRequestID)
	}
	wantKeys := []string{"code", "message", "innerError"}
	var outer map[string]json.RawMessage
	json.Unmarshal(r.body, &outer)
	if diff := cmp.Diff(wantKeys, objectKeys(t, outer["error"])); diff != "" {
		t.Errorf("error keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"date", "request-id", "client-request-id"}, objectKeys(t, mustRaw(t, outer["error"], "innerError"))); diff != "" {
		t.Errorf("innerError keys (-want +got):\n%s", diff)
	}
}

func mustRaw(t *testing.T, raw json.RawMessage, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m[key]
}

// listPage is one page of GET /v1.0/users.
type listPage struct {
	Context  string           `json:"@odata.context"`
	NextLink string           `json:"@odata.nextLink"`
	Value    []map[string]any `json:"value"`
}

func (f fixture) list(t *testing.T, target string) listPage {
	t.Helper()
	r := f.get(t, target, "reader", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status = %d, want 200; body: %s", target, r.status, r.body)
	}
	var page listPage
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatalf("decode page: %v", err)
	}
	return page
}

func filterPath(filter string) string {
	return "/v1.0/users?$filter=" + url.QueryEscape(filter)
}

func TestListFilterDoubledApostrophe(t *testing.T) {
	f := setup(t, graph.Options{})

	page := f.list(t, filterPath("mail eq 'sean.o''brien@fabrikam.example'")+"&$select=displayName")

	if len(page.Value) != 1 {
		t.Fatalf("got %d users, want 1", len(page.Value))
	}
	if got := page.Value[0]["displayName"]; got != "Seán O'Brien" {
		t.Errorf("displayName = %v, want Seán O'Brien", got)
	}
	if want := f.http.URL + "/v1.0/$metadata#users(displayName)"; page.Context != want {
		t.Errorf("@odata.context = %q, want %q", page.Context, want)
	}
}

func TestListFilterPlusSign(t *testing.T) {
	f := setup(t, graph.Options{})
	path := filterPath("mail eq 'priya.nair+helpdesk@fabrikam.example'")
	if !strings.Contains(path, "%2B") {
		t.Fatalf("path %q does not escape '+' as %%2B", path)
	}

	page := f.list(t, path)

	if len(page.Value) != 1 {
		t.Fatalf("got %d users, want 1", len(page.Value))
	}
	if got := page.Value[0]["mail"]; got != "priya.nair+helpdesk@fabrikam.example" {
		t.Errorf("mail = %v, want priya.nair+helpdesk@fabrikam.example", got)
	}

	// An unescaped '+' in a query string is a space, so the filter matches no user.
	raw := f.list(t, "/v1.0/users?$filter=mail%20eq%20'priya.nair+helpdesk@fabrikam.example'")
	if len(raw.Value) != 0 {
		t.Errorf("unescaped '+': got %d users, want 0", len(raw.Value))
	}
}

func TestListPagingFollowsNextLink(t *testing.T) {
	f := setup(t, graph.Options{})

	var ids []string
	var sizes []int
	next := "/v1.0/users?$top=5&$select=id"
	for next != "" {
		page := f.list(t, next)
		sizes = append(sizes, len(page.Value))
		for _, u := range page.Value {
			ids = append(ids, u["id"].(string))
			if len(u) != 1 {
				t.Errorf("user %v has %d properties, want only id", u["id"], len(u))
			}
		}
		if page.NextLink != "" && !strings.HasPrefix(page.NextLink, f.http.URL+"/v1.0/users?") {
			t.Errorf("@odata.nextLink = %q, want an absolute URL on %s", page.NextLink, f.http.URL)
		}
		if page.NextLink != "" && !strings.Contains(page.NextLink, "$skiptoken=") {
			t.Errorf("@odata.nextLink = %q, want a $skiptoken", page.NextLink)
		}
		next = page.NextLink
	}

	var want []string
	for _, u := range graph.SampleDirectory() {
		want = append(want, u.ID)
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("IDs across pages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{5, 5, 5, 1}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
}

func TestListPagingKeepsFilter(t *testing.T) {
	f := setup(t, graph.Options{})

	var names []string
	next := filterPath("officeLocation eq 'London' or officeLocation eq 'Singapore'") + "&$select=displayName&$top=3"
	for next != "" {
		page := f.list(t, next)
		for _, u := range page.Value {
			names = append(names, u["displayName"].(string))
		}
		next = page.NextLink
	}

	want := []string{"Oliver Bennett", "Seán O'Brien", "Priya Nair", "Emily Carter", "Wei Ling Tan", "Arjun Mehta", "Nurul Hassan"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names across pages (-want +got):\n%s", diff)
	}
}

func TestListDefaultPageSize(t *testing.T) {
	var users []graph.User
	for i := range 250 {
		users = append(users, graph.User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), UserPrincipalName: fmt.Sprintf("user%d@fabrikam.example", i)})
	}
	f := setup(t, graph.Options{Users: users})

	var sizes []int
	next := "/v1.0/users"
	for next != "" {
		page := f.list(t, next)
		sizes = append(sizes, len(page.Value))
		next = page.NextLink
	}

	if diff := cmp.Diff([]int{100, 100, 50}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
}

func TestListDefaultSelect(t *testing.T) {
	f := setup(t, graph.Options{})

	r := f.get(t, "/v1.0/users?$top=1", "reader", nil)

	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", r.status, r.body)
	}
	if diff := cmp.Diff([]string{"@odata.context", "@odata.nextLink", "value"}, objectKeys(t, r.body)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	var page struct {
		Context string            `json:"@odata.context"`
		Value   []json.RawMessage `json:"value"`
	}
	json.Unmarshal(r.body, &page)
	if want := f.http.URL + "/v1.0/$metadata#users"; page.Context != want {
		t.Errorf("@odata.context = %q, want %q", page.Context, want)
	}
	wantKeys := []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
		"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	if len(page.Value) != 1 {
		t.Fatalf("got %d users, want 1", len(page.Value))
	}
	if diff := cmp.Diff(wantKeys, objectKeys(t, page.Value[0])); diff != "" {
		t.Errorf("user keys (-want +got):\n%s", diff)
	}
}

func TestListLastPageHasNoNextLink(t *testing.T) {
	f := setup(t, graph.Options{})

	r := f.get(t, filterPath("department eq 'Legal'"), "reader", nil)

	if diff := cmp.Diff([]string{"@odata.context", "value"}, objectKeys(t, r.body)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
}

func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name        string
		path        string
		wantCode    string
		wantMessage string
	}{
		{"unsupported filter", filterPath("endswith(mail,'@fabrikam.example')"), "Request_UnsupportedQuery", "Unsupported query filter clause 'endswith'."},
		{"filter on unknown property", filterPath("favoriteColor eq 'blue'"), "BadRequest", "Could not find a property named 'favoriteColor' on type 'microsoft.graph.user'."},
		{"filter syntax", filterPath("mail eq"), "BadRequest", "Invalid filter clause: Syntax error at position 7 in 'mail eq'."},
		{"select unknown property", "/v1.0/users?$select=displayName,favoriteColor", "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named 'favoriteColor' on type 'microsoft.graph.user'."},
		{"select unknown on one user", "/v1.0/users/" + amelieID + "?$select=favoriteColor", "BadRequest", "Parsing OData Select and Expand failed: Could not find a property named 'favoriteColor'"},
		{"top zero", "/v1.0/users?$top=0", "Request_UnsupportedQuery", "Invalid page size specified: '0'. Must be between 1 and 999 inclusive."},
		{"top above max", "/v1.0/users?$top=1000", "Request_UnsupportedQuery", "Invalid page size specified: '1000'."},
		{"top not a number", "/v1.0/users?$top=ten", "Request_UnsupportedQuery", "Invalid page size specified: 'ten'."},
		{"foreign skiptoken", "/v1.0/users?$skiptoken=RFNwdAIAAQAAAA", "Directory_ExpiredPageToken", "The specified page token value has expired"},
		{"skiptoken past the end", "/v1.0/users?$skiptoken=" + skipToken(17), "Directory_ExpiredPageToken", "The specified page token value has expired"},
		{"orderby", "/v1.0/users?$orderby=displayName", "Request_UnsupportedQuery", "The query parameter '$orderby' is not supported."},
		{"filter on one user", "/v1.0/users/" + amelieID + "?$filter=" + url.QueryEscape("mail eq 'x'"), "Request_UnsupportedQuery", "'$filter'"},
		{"option twice", "/v1.0/users?$top=1&$top=2", "BadRequest", "Query option '$top' was specified more than once"},
		{"bad escape", "/v1.0/users?$filter=%zz", "BadRequest", "Invalid query string"},
		{"other version", "/beta/users", "BadRequest", "Invalid version: beta"},
		{"other resource", "/v1.0/groups", "BadRequest", "Resource not found for the segment 'groups'."},
		{"nested resource", "/v1.0/users/" + amelieID + "/manager", "BadRequest", "Resource not found for the segment 'manager'."},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, graph.Options{})

			r := f.get(t, tt.path, "reader", nil)

			message := checkError(t, r, http.StatusBadRequest, tt.wantCode)
			if !strings.Contains(message, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", message, tt.wantMessage)
			}
		})
	}
}

// skipToken builds a token the way the emulator does, to test offsets the
// emulator would never hand out.
func skipToken(offset int) string {
	return strings.TrimRight(base64URL(fmt.Sprintf("fieldlink-emulator:%d", offset)), "=")
}

func TestAuthorization(t *testing.T) {
	tests := []struct {
		name        string
		header      string
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"missing header", "", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"empty bearer", "Bearer ", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"basic scheme", "Basic dXNlcjpwYXNz", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"expired token", "Bearer expired", 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."},
		{"other audience", "Bearer other-audience", 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."},
		{"malformed token", "Bearer garbage", 401, "InvalidAuthenticationToken", "Access token validation failure."},
		{"no roles", "Bearer no-roles", 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"unrelated role", "Bearer mail-sender", 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, graph.Options{})
			header := http.Header{}
			if tt.header != "" {
				header.Set("Authorization", tt.header)
			}

			r := f.get(t, "/v1.0/users/"+amelieID, "", header)

			message := checkError(t, r, tt.wantStatus, tt.wantCode)
			if message != tt.wantMessage {
				t.Errorf("message = %q, want %q", message, tt.wantMessage)
			}
			if tt.wantStatus == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without a WWW-Authenticate header")
			}
		})
	}
}

func TestAuthorizationAcceptsReadRoles(t *testing.T) {
	for _, token := range []string{"reader", "directory-reader"} {
		t.Run(token, func(t *testing.T) {
			f := setup(t, graph.Options{})

			r := f.get(t, "/v1.0/users/"+amelieID, token, nil)

			if r.status != http.StatusOK {
				t.Errorf("status = %d, want 200; body: %s", r.status, r.body)
			}
		})
	}
}

func TestNilVerifyTokenAcceptsAnyToken(t *testing.T) {
	srv := graph.New(graph.Options{Users: graph.SampleDirectory()})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	f := fixture{server: srv, http: ts}

	ok := f.get(t, "/v1.0/users/"+amelieID, "anything", nil)
	empty := f.get(t, "/v1.0/users/"+amelieID, "", nil)

	if ok.status != http.StatusOK {
		t.Errorf("any token: status = %d, want 200", ok.status)
	}
	if empty.status != http.StatusUnauthorized {
		t.Errorf("no token: status = %d, want 401", empty.status)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	f := setup(t, graph.Options{})
	req, _ := http.NewRequest(http.MethodPost, f.http.URL+"/v1.0/users", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer reader")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)

	checkError(t, response{resp.StatusCode, resp.Header, body}, http.StatusMethodNotAllowed, "Request_BadRequest")
}

func TestRequestsCounted(t *testing.T) {
	f := setup(t, graph.Options{})

	f.get(t, "/v1.0/users/"+amelieID, "reader", nil)
	f.get(t, "/v1.0/users/nobody@fabrikam.example", "reader", nil)
	f.get(t, "/v1.0/users", "", nil)

	if got := f.server.Requests(); got != 3 {
		t.Errorf("Requests() = %d, want 3", got)
	}
}

func TestLatencyEndsWithCanceledRequest(t *testing.T) {
	f := setup(t, graph.Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.http.URL+"/v1.0/users", nil)
	req.Header.Set("Authorization", "Bearer reader")

	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for f.server.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()

	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("request error = %v, want context.Canceled", err)
	}
	// Close waits for the handler, so the test would hang if the wait
	// ignored the canceled request.
	f.http.Close()
}
