package credential

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
)

// entraErrorBody returns a token error response in the shape Entra ID
// sends: error, error_description with trace lines, error_codes, timestamp,
// trace_id, correlation_id and error_uri.
func entraErrorBody(t *testing.T, errorCode string, aadsts int, message string) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"error":             errorCode,
		"error_description": message + "\r\nTrace ID: 0f4c7d1e-aaaa-4bbb-8ccc-123456789abc\r\nCorrelation ID: 5e6f7a8b-dddd-4eee-8fff-abcdef012345\r\nTimestamp: 2025-03-01 09:00:00Z",
		"error_codes":       []int{aadsts},
		"timestamp":         "2025-03-01 09:00:00Z",
		"trace_id":          "0f4c7d1e-aaaa-4bbb-8ccc-123456789abc",
		"correlation_id":    "5e6f7a8b-dddd-4eee-8fff-abcdef012345",
		"error_uri":         "https://login.example/error?code=" + strconv.Itoa(aadsts),
	})
	if err != nil {
		t.Fatalf("marshal error body: %v", err)
	}
	return string(body)
}

// tokenErrorFor sends a token request for ds to a server that responds with
// status and body at tenantPath. It returns ds with that token URL, and the
// error.
func tokenErrorFor(t *testing.T, ds fieldlink.Datasource, tenantPath string, status int, body string) (fieldlink.Datasource, error) {
	t.Helper()
	srv := errorEndpoint(t, status, "application/json; charset=utf-8", body)
	ds.Auth.TokenURL = srv.URL + tenantPath
	authorizer, err := NewCache(loopbackClients(), nil).Authorizer(ds)
	if err != nil {
		t.Fatalf("Authorizer: %v", err)
	}
	return ds, authorizeError(t, authorizer)
}

func TestHintForEntraErrors(t *testing.T) {
	pair := newTestKeyPair(t, rsaPKCS8, inAYear())
	secretDatasource := oauthDatasource("", fieldlink.ClientAuthBody)
	certificateDatasource := privateKeyJWTDatasource("", pair, true)
	resourceDatasource := oauthDatasource("", fieldlink.ClientAuthBody)
	resourceDatasource.Auth.TokenParams = map[string]string{"resource": "https://graph.microsoft.com/"}

	tests := []struct {
		name       string
		ds         fieldlink.Datasource
		tenantPath string
		status     int
		errorCode  string
		aadsts     int
		message    string
		want       []string // phrases the hint must contain
	}{
		{
			name: "resource parameter on v2", ds: resourceDatasource, tenantPath: "/tenant-1/oauth2/v2.0/token",
			status: 400, errorCode: "invalid_request", aadsts: 901002,
			message: "AADSTS901002: The 'resource' request parameter isn't supported.",
			want:    []string{"Remove resource from the token parameters", "already names the resource"},
		},
		{
			name: "common tenant", ds: secretDatasource, tenantPath: "/common/oauth2/v2.0/token",
			status: 400, errorCode: "invalid_request", aadsts: 9001023,
			message: "AADSTS9001023: The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
			want:    []string{"Directory (tenant) ID", "primary domain"},
		},
		{
			name: "scope missing", ds: secretDatasource, tenantPath: "/tenant-1/oauth2/v2.0/token",
			status: 400, errorCode: "invalid_request", aadsts: 900144,
			message: "AADSTS900144: The request body must contain the following parameter: 'scope'.",
			want:    []string{"had no scope", "https://graph.microsoft.com/.default"},
		},
		{
			name: "client id missing", ds: secretDatasource, tenantPath: "/tenant-1/oauth2/v2.0/token",
			status: 400, errorCode: "invalid_request", aadsts: 900144,
			message: "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
			want:    []string{"Application (client) ID"},
		},
		{
			name: "other parameter missing", ds: secretDatasource, tenantPath: "/tenant-1/oauth2/token",
			status: 400, errorCode: "invalid_request", aadsts: 900144,
			message: "AADSTS900144: The request body must contain the following parameter: 'resource'.",
			want:    []string{`lacked the parameter "resource"`},
		},
		{
			name: "assertion signature", ds: certificateDatasource, tenantPath: "/tenant-1/oauth2/v2.0/token",
			status: 401, errorCode: "invalid_client", aadsts: 700027,
			message: "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '" + sha1Thumbprint(pair.Cert) + "']",
			want:    []string{"Certificates & secrets > Certificates", "upload this certificate"},
		},
		{
			name: "assertion time range", ds: certificateDatasource, tenantPath: "/tenant-1/oauth2/v2.0/token",
			status: 401, errorCode: "invalid_client", aadsts: 700024,
			message: "AADSTS700024: Client assertion is not within its valid time range. Current time: 2025-03-01T09:00:00.0000000Z, assertion valid from 2025-03-01T10:00:00.0000000Z, expiry time of assertion 2025-03-01T10:05:00.0000000Z.",
			want:    []string{"clock"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := tokenErrorFor(t, tt.ds, tt.tenantPath, tt.status, entraErrorBody(t, tt.errorCode, tt.aadsts, tt.message))

			hint := HintFor(err, ds.Auth)

			for _, phrase := range tt.want {
				if !strings.Contains(hint, phrase) {
					t.Errorf("HintFor(%v) = %q, want it to contain %q", err, hint, phrase)
				}
			}
			if !IsConfigError(err) {
				t.Errorf("IsConfigError(%v) = false, want true", err)
			}
		})
	}
}

func TestHintForInvalidClientNamesAuthStyle(t *testing.T) {
	pair := newTestKeyPair(t, ecPKCS8, inAYear())
	// The body an RFC 6749 server such as ory/fosite sends, without Entra
	// ID's error codes.
	body := `{"error":"invalid_client","error_description":"Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."}`
	tests := []struct {
		name string
		ds   fieldlink.Datasource
		want []string
	}{
		{"header", oauthDatasource("", fieldlink.ClientAuthHeader), []string{"Client authentication is header (client_secret_basic", "set client authentication to body"}},
		{"body", oauthDatasource("", fieldlink.ClientAuthBody), []string{"Client authentication is body (client_secret_post", "set client authentication to header"}},
		{"private_key_jwt", privateKeyJWTDatasource("", pair, false), []string{"Client authentication is private_key_jwt", "thumbprint " + sha1Thumbprint(pair.Cert), "set client authentication to header or body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := tokenErrorFor(t, tt.ds, "/oauth2/token", http.StatusUnauthorized, body)

			hint := HintFor(err, ds.Auth)

			for _, phrase := range tt.want {
				if !strings.Contains(hint, phrase) {
					t.Errorf("HintFor = %q, want it to contain %q", hint, phrase)
				}
			}
		})
	}
}

func TestHintForAPIErrorsByMode(t *testing.T) {
	graphUnauthorized := []byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure. Invalid audience."}}`)
	graphForbidden := []byte(`{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`)
	jiraUnauthorized := []byte("Client must be authenticated to access this resource.")
	oauth := fieldlink.Auth{Mode: fieldlink.AuthOAuth2ClientCredentials}
	basic := fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc@example.com", Password: "pw"}
	bearer := fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "t"}
	apiKey := fieldlink.Auth{Mode: fieldlink.AuthAPIKey, APIKeyName: "X-API-Key", APIKeyValue: "k", APIKeyIn: fieldlink.APIKeyInHeader}

	tests := []struct {
		name    string
		auth    fieldlink.Auth
		status  int
		body    []byte
		want    string
		notWant string
	}{
		{name: "graph 401 oauth", auth: oauth, status: 401, body: graphUnauthorized, want: "https://graph.microsoft.com/.default"},
		{name: "graph 403 oauth", auth: oauth, status: 403, body: graphForbidden, want: `"Grant admin consent"`},
		{name: "other 401 oauth", auth: oauth, status: 401, body: []byte(`{"message":"bad token"}`), want: "audience is this API"},
		{name: "jira 401 basic", auth: basic, status: 401, body: jiraUnauthorized, want: "API token is current", notWant: "graph"},
		{name: "graph 401 basic", auth: basic, status: 401, body: graphUnauthorized, want: "OAuth 2 access tokens, not a user name and password", notWant: "Jira"},
		{name: "other 401 basic", auth: basic, status: 401, body: []byte(`{"message":"bad credentials"}`), want: `password of "svc@example.com"`, notWant: "Jira"},
		{name: "403 basic", auth: basic, status: 403, body: jiraUnauthorized, want: `Grant the user the permission`},
		{name: "401 bearer", auth: bearer, status: 401, body: graphUnauthorized, want: "expired or been revoked", notWant: "graph.microsoft.com"},
		{name: "403 bearer", auth: bearer, status: 403, body: graphForbidden, want: "token or key the permission", notWant: "admin consent"},
		{name: "401 api key", auth: apiKey, status: 401, body: []byte(`{"message":"Invalid API key"}`), want: `the header "X-API-Key"`},
		{name: "401 none", auth: fieldlink.Auth{Mode: fieldlink.AuthNone}, status: 401, body: nil, want: "requests carry none"},
		{name: "401 empty mode", auth: fieldlink.Auth{}, status: 401, body: nil, want: "requests carry none"},
		{name: "404 any mode", auth: basic, status: 404, body: nil, want: "test path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiErr := NewAPIError(http.MethodGet, "https://api.example/v1/users", tt.status, tt.body)

			hint := HintFor(apiErr, tt.auth)

			if !strings.Contains(hint, tt.want) {
				t.Errorf("HintFor = %q, want it to contain %q", hint, tt.want)
			}
			if tt.notWant != "" && strings.Contains(strings.ToLower(hint), strings.ToLower(tt.notWant)) {
				t.Errorf("HintFor = %q, want no %q for %s", hint, tt.notWant, tt.auth.Mode)
			}
		})
	}
}
