package entra_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// errorResponse is Entra ID's token error shape.
type errorResponse struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

var (
	guidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$`)
)

func TestTokenErrors(t *testing.T) {
	body := func(extra map[string]string) url.Values {
		return clientCredentialsForm(extra)
	}
	withClient := func(id, sec string) url.Values {
		return body(map[string]string{"client_id": id, "client_secret": sec})
	}

	tests := []struct {
		name        string
		tenant      string
		form        url.Values
		basic       *[2]string
		wantStatus  int
		wantError   string
		wantCode    int
		wantMessage string
	}{
		{
			name:        "unknown tenant",
			tenant:      "11111111-2222-3333-4444-555555555555",
			form:        withClient(clientID, secret),
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    90002,
			wantMessage: "Tenant '11111111-2222-3333-4444-555555555555' not found.",
		},
		{
			name:        "common tenant",
			tenant:      "common",
			form:        withClient(clientID, secret),
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    50059,
			wantMessage: "No tenant-identifying information found in either the request or implied by any provided credentials.",
		},
		{
			name:        "organizations tenant",
			tenant:      "Organizations",
			form:        withClient(clientID, secret),
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    50059,
			wantMessage: "No tenant-identifying information found in either the request or implied by any provided credentials.",
		},
		{
			name:        "common tenant without grant type",
			tenant:      "common",
			form:        url.Values{"client_id": {clientID}, "client_secret": {secret}, "scope": {graphScope}},
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    900144,
			wantMessage: "The request body must contain the following parameter: 'grant_type'.",
		},
		{
			name:        "consumers tenant",
			tenant:      "consumers",
			form:        withClient(clientID, secret),
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    90002,
			wantMessage: "Tenant 'consumers' not found.",
		},
		{
			name:        "resource parameter",
			form:        body(map[string]string{"client_id": clientID, "client_secret": secret, "resource": graphResource}),
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    901002,
			wantMessage: "The 'resource' request parameter is not supported.",
		},
		{
			name: "resource parameter without scope",
			form: url.Values{
				"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "resource": {graphResource},
			},
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    901002,
			wantMessage: "The 'resource' request parameter is not supported.",
		},
		{
			name:        "missing grant type",
			form:        url.Values{"client_id": {clientID}, "client_secret": {secret}, "scope": {graphScope}},
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    900144,
			wantMessage: "The request body must contain the following parameter: 'grant_type'.",
		},
		{
			name:        "unsupported grant type",
			form:        body(map[string]string{"grant_type": "password", "client_id": clientID, "client_secret": secret}),
			wantStatus:  400,
			wantError:   "unsupported_grant_type",
			wantCode:    70003,
			wantMessage: "The app requested an unsupported grant type 'password'.",
		},
		{
			name:        "missing client id",
			form:        body(map[string]string{"client_secret": secret}),
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    900144,
			wantMessage: "The request body must contain the following parameter: 'client_id'.",
		},
		{
			name:        "missing scope",
			form:        url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}},
			wantStatus:  400,
			wantError:   "invalid_request",
			wantCode:    900144,
			wantMessage: "The request body must contain the following parameter: 'scope'.",
		},
		{
			name:        "scope without default suffix",
			form:        body(map[string]string{"scope": "User.Read.All", "client_id": clientID, "client_secret": secret}),
			wantStatus:  400,
			wantError:   "invalid_scope",
			wantCode:    1002012,
			wantMessage: "The provided value for scope User.Read.All is not valid. Client credential flows must have a scope value with /.default suffixed",
		},
		{
			name:        "two scopes",
			form:        body(map[string]string{"scope": graphScope + " openid", "client_id": clientID, "client_secret": secret}),
			wantStatus:  400,
			wantError:   "invalid_scope",
			wantCode:    70011,
			wantMessage: "One or more scopes in 'https://graph.microsoft.com/.default openid' are not compatible with each other.",
		},
		{
			name:        "unknown resource",
			form:        body(map[string]string{"scope": "https://crm.example/.default", "client_id": clientID, "client_secret": secret}),
			wantStatus:  400,
			wantError:   "invalid_resource",
			wantCode:    500011,
			wantMessage: "The resource principal named https://crm.example was not found in the tenant named " + tenantID + ".",
		},
		{
			name:        "unknown client",
			form:        withClient("5f87d04b-e478-4277-918c-4cfbd85e02d7", secret),
			wantStatus:  400,
			wantError:   "unauthorized_client",
			wantCode:    700016,
			wantMessage: "Application with identifier '5f87d04b-e478-4277-918c-4cfbd85e02d7' was not found in the directory '" + tenantID + "'.",
		},
		{
			name:        "missing client secret",
			form:        body(map[string]string{"client_id": clientID}),
			wantStatus:  401,
			wantError:   "invalid_client",
			wantCode:    7000216,
			wantMessage: "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
		},
		{
			name:        "wrong client secret",
			form:        withClient(clientID, "not-the-secret"),
			wantStatus:  401,
			wantError:   "invalid_client",
			wantCode:    7000215,
			wantMessage: "Invalid client secret is provided.",
		},
		{
			name:        "secret ID sent as secret",
			form:        withClient(clientID, secretID),
			wantStatus:  401,
			wantError:   "invalid_client",
			wantCode:    7000215,
			wantMessage: "Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" + clientID + "'.",
		},
		{
			name:        "expired client secret",
			form:        withClient(expiredClientID, expiredSecret),
			wantStatus:  401,
			wantError:   "invalid_client",
			wantCode:    7000222,
			wantMessage: "The provided client secret keys for app '" + expiredClientID + "' are expired.",
		},
		{
			name:        "basic header with wrong secret",
			form:        body(nil),
			basic:       &[2]string{url.QueryEscape(clientID), url.QueryEscape("not-the-secret")},
			wantStatus:  401,
			wantError:   "invalid_client",
			wantCode:    7000215,
			wantMessage: "Invalid client secret is provided.",
		},
		{
			// Without the §2.3.1 form-encoding, the '+' in the secret decodes
			// to a space, so the secret no longer matches.
			name:        "basic header without form encoding",
			form:        body(nil),
			basic:       &[2]string{clientID, secret},
			wantStatus:  401,
			wantError:   "invalid_client",
			wantCode:    7000215,
			wantMessage: "Invalid client secret is provided.",
		},
		{
			name:        "basic header with invalid percent encoding",
			form:        body(nil),
			basic:       &[2]string{clientID, "50%zz"},
			wantStatus:  401,
			wantError:   "invalid_client",
			wantCode:    7000215,
			wantMessage: "Invalid client secret is provided.",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			tenant := tt.tenant
			if tenant == "" {
				tenant = tenantID
			}

			resp, raw := postForm(t, f.tokenURL(tenant), tt.form, tt.basic, nil)

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			var got errorResponse
			decodeJSON(t, raw, &got)
			checkErrorShape(t, f, got, tt.wantError, tt.wantCode)
			if !strings.Contains(got.ErrorDescription, tt.wantMessage) {
				t.Errorf("error_description = %q, want it to contain %q", got.ErrorDescription, tt.wantMessage)
			}
		})
	}
}

// checkErrorShape checks the fields every Entra ID token error carries and
// how error_description repeats them.
func checkErrorShape(t *testing.T, f fixture, got errorResponse, wantError string, wantCode int) {
	t.Helper()

	if got.Error != wantError {
		t.Errorf("error = %q, want %q", got.Error, wantError)
	}
	if len(got.ErrorCodes) != 1 || got.ErrorCodes[0] != wantCode {
		t.Errorf("error_codes = %v, want [%d]", got.ErrorCodes, wantCode)
	}
	if !guidRE.MatchString(got.TraceID) {
		t.Errorf("trace_id = %q, want a GUID", got.TraceID)
	}
	if !guidRE.MatchString(got.CorrelationID) {
		t.Errorf("correlation_id = %q, want a GUID", got.CorrelationID)
	}
	if want := f.clock.Now().Format("2006-01-02 15:04:05Z"); got.Timestamp != want {
		t.Errorf("timestamp = %q, want %q", got.Timestamp, want)
	}
	if !timestampRE.MatchString(got.Timestamp) {
		t.Errorf("timestamp = %q, want the form 2006-01-02 15:04:05Z", got.Timestamp)
	}
	if want := fmt.Sprintf("%s/error?code=%d", f.http.URL, wantCode); got.ErrorURI != want {
		t.Errorf("error_uri = %q, want %q", got.ErrorURI, want)
	}

	prefix := fmt.Sprintf("AADSTS%d: ", wantCode)
	if !strings.HasPrefix(got.ErrorDescription, prefix) {
		t.Errorf("error_description = %q, want prefix %q", got.ErrorDescription, prefix)
	}
	suffix := fmt.Sprintf("\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", got.TraceID, got.CorrelationID, got.Timestamp)
	if !strings.HasSuffix(got.ErrorDescription, suffix) {
		t.Errorf("error_description = %q, want suffix %q", got.ErrorDescription, suffix)
	}
}

func TestTokenMethodNotAllowed(t *testing.T) {
	f := setup(t)

	resp, err := http.Get(f.tokenURL(tenantID) + "?grant_type=client_credentials")
	if err != nil {
		t.Fatalf("GET token endpoint: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)

	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("status = %d, want 405", resp.StatusCode)
	}
	if got := resp.Header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
	var got errorResponse
	decodeJSON(t, raw, &got)
	checkErrorShape(t, f, got, "invalid_request", 900561)
	if !strings.Contains(got.ErrorDescription, "Received a GET request.") {
		t.Errorf("error_description = %q, want it to name the GET method", got.ErrorDescription)
	}
}

func TestTokenErrorEchoesClientRequestID(t *testing.T) {
	f := setup(t)
	requestID := "8f7ee877-eeaa-4036-8ec8-a41a824f6857"
	header := http.Header{"Client-Request-Id": {requestID}}

	resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(map[string]string{"client_id": clientID}), nil, header)

	var got errorResponse
	decodeJSON(t, raw, &got)
	if got.CorrelationID != requestID {
		t.Errorf("correlation_id = %q, want the client-request-id %q", got.CorrelationID, requestID)
	}
	if h := resp.Header.Get("client-request-id"); h != requestID {
		t.Errorf("client-request-id header = %q, want %q", h, requestID)
	}
}

func TestTokenQueryParametersIgnored(t *testing.T) {
	f := setup(t)
	query := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}, "scope": {graphScope}}

	resp, raw := postForm(t, f.tokenURL(tenantID)+"?"+query.Encode(), url.Values{}, nil, nil)

	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
	var got errorResponse
	decodeJSON(t, raw, &got)
	checkErrorShape(t, f, got, "invalid_request", 900144)
}

func TestErrorPageDescribesCode(t *testing.T) {
	f := setup(t)
	_, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(map[string]string{"client_id": clientID, "client_secret": "wrong"}), nil, nil)
	var got errorResponse
	decodeJSON(t, raw, &got)

	resp, err := http.Get(got.ErrorURI)
	if err != nil {
		t.Fatalf("GET %s: %v", got.ErrorURI, err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)

	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if !strings.HasPrefix(string(page), "AADSTS7000215: ") {
		t.Errorf("page = %q, want it to start with the code", page)
	}

	for _, code := range []int{50059, 901002, 9002313, 90011, 50027, 5002738, 5002730, 50048, 700021, 700023, 700024, 700027, 50013} {
		resp, err := http.Get(fmt.Sprintf("%s/error?code=%d", f.http.URL, code))
		if err != nil {
			t.Fatalf("GET code %d: %v", code, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("code %d: status = %d, want 200", code, resp.StatusCode)
		}
	}

	resp, err = http.Get(f.http.URL + "/error?code=1")
	if err != nil {
		t.Fatalf("GET unknown code: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown code: status = %d, want 404", resp.StatusCode)
	}
}

func TestBasicAuthDecodedPerRFC6749(t *testing.T) {
	f := setup(t)
	// The same pair a client builds by hand: form-encode, join, base64.
	pair := url.QueryEscape(clientID) + ":" + url.QueryEscape(secret)
	header := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(pair))}}

	resp, raw := postForm(t, f.tokenURL(tenantID), clientCredentialsForm(nil), nil, header)

	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200; body: %s", resp.StatusCode, raw)
	}
}
