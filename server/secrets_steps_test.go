package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/demo"
	"github.com/fieldlink/fieldlink/emulator/jiracloud"
	"github.com/fieldlink/fieldlink/emulator/oidcprovider"
	"github.com/fieldlink/fieldlink/httpapi"
)

// configureDemo runs the demo's configuration steps through the API and
// lets Jira send signed webhooks for two tickets.
func (r *secretsRun) configureDemo() {
	r.t.Helper()
	hook, err := demo.Configure(r.ctx, r.api, r.emulators, &r.report)
	if err != nil {
		r.t.Fatalf("configure the demo: %v\n%s", err, r.report.String())
	}
	r.rec.issued(r.t, hook.Secret, "POST", "/api/v1/hooks")
	r.secrets.add("hook signing secret", hook.Secret)
	r.hookID, r.hookSecret = hook.ID, hook.Secret

	list := decode[httpapi.ListBody[httpapi.DatasourceBody]](r.t, r.call("GET", "/api/v1/datasources", nil, http.StatusOK))
	for _, ds := range list.Items {
		r.datasources[ds.Name] = ds.ID
	}
	items := decode[httpapi.ListBody[httpapi.ItemBody]](r.t, r.call("GET", "/api/v1/items", nil, http.StatusOK))
	for _, it := range items.Items {
		if it.Name == demo.ItemName {
			r.officeItemID = it.ID
		}
	}
	if r.officeItemID == "" {
		r.t.Fatalf("the demo created no item %q", demo.ItemName)
	}

	// The hook URL names the public URL, which this test does not serve.
	r.emulators.Jira.RegisterWebhook(r.srv.URL()+"/hooks/jira/"+r.hookID, r.hookSecret)
	r.fileTicket("amelie.laurent@fabrikam.example", "Amélie Laurent")
	r.fileTicket("tomas.rivera@contractor.example", "Tomás Rivera")
}

func (r *secretsRun) fileTicket(email, name string) {
	r.t.Helper()
	account := jiracloud.Account{DisplayName: name, Email: email}
	if _, err := r.emulators.Jira.CreateIssue(r.ctx, account, "Laptop will not connect to the office Wi-Fi"); err != nil {
		r.t.Fatalf("file a ticket for %s: %v", email, err)
	}
}

// waitForEvents polls until at least want events are stored and none is
// pending.
func (r *secretsRun) waitForEvents(want int) []httpapi.EventBody {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		events, err := r.api.ListEvents(r.ctx, 100)
		if err != nil {
			r.t.Fatal(err)
		}
		finished := 0
		for _, ev := range events {
			if ev.Status != string(fieldlink.EventPending) {
				finished++
			}
		}
		if len(events) >= want && finished == len(events) {
			return events
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d of %d ticket events finished within 30s", finished, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// createSecretKinds creates a datasource for each kind of secret and for
// each way an upstream can fail, and runs Test connection on each. It
// returns the names of the datasources whose test passed.
func (r *secretsRun) createSecretKinds() map[string]bool {
	r.t.Helper()
	e := r.emulators

	assertionCert, assertionKey := keyPair(r.t)
	r.secrets.addKey("certificate private key", assertionKey)
	block, _ := pem.Decode([]byte(assertionCert))
	registered, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := e.Entra.AddCertificate(demo.ClientID, registered); err != nil {
		r.t.Fatal(err)
	}

	tlsCert, tlsKey := keyPair(r.t)
	r.secrets.addKey("TLS client key", tlsKey)
	mtlsKey := r.marker("apikey-mtls")
	mtlsURL, mtlsCA := startMutualTLS(r.t, tlsCert, mtlsKey)

	graph := e.GraphURL + "/v1.0"
	oauth := func(name, tokenURL, clientID, secret, clientAuth string) httpapi.DatasourceBody {
		return httpapi.DatasourceBody{Name: name, BaseURL: graph, TestPath: "/users?$top=1", TimeoutSeconds: 2,
			Auth: httpapi.AuthBody{Mode: "oauth2-client-credentials", TokenURL: tokenURL, ClientID: clientID,
				ClientSecret: secret, ClientAuthentication: clientAuth, Scopes: []string{demo.GraphScope}}}
	}
	apiKey := func(name, base, testPath, in, value string) httpapi.DatasourceBody {
		keyName := "X-API-Key"
		if in == "query" {
			keyName = "key"
		}
		return httpapi.DatasourceBody{Name: name, BaseURL: base, TestPath: testPath, TimeoutSeconds: 2,
			Auth: httpapi.AuthBody{Mode: "api-key", APIKeyName: keyName, APIKeyIn: in, APIKeyValue: value}}
	}
	bearerBody := func(name, base, testPath, token string) httpapi.DatasourceBody {
		return httpapi.DatasourceBody{Name: name, BaseURL: base, TestPath: testPath, TimeoutSeconds: 2,
			Auth: httpapi.AuthBody{Mode: "bearer", Token: token}}
	}

	headerAuth := oauth("Graph, client secret in the header", r.entra2.URL+"/"+headerTenantID+"/oauth2/v2.0/token", headerClientID, r.headerSecret, "header")
	certificate := oauth("Graph, certificate", e.TokenURL(), demo.ClientID, "", "private_key_jwt")
	certificate.Auth.ClientCertificate, certificate.Auth.ClientPrivateKey = assertionCert, assertionKey
	// The echoing token endpoint sends the signed client assertion back.
	echoedAssertion := oauth("Token endpoint echoing (certificate)", r.echo.URL+"/token", "echo-client", "", "private_key_jwt")
	echoedAssertion.Auth.ClientCertificate, echoedAssertion.Auth.ClientPrivateKey = assertionCert, assertionKey
	mtls := apiKey("Mutual TLS", mtlsURL, "/users", "header", mtlsKey)
	mtls.CABundle, mtls.Auth.TLSClientCertificate, mtls.Auth.TLSClientKey = mtlsCA, tlsCert, tlsKey
	untrusted := bearerBody("TLS, untrusted server", mtlsURL, "/users", r.marker("bearer-tls-untrusted"))
	noClientCert := apiKey("TLS, no client certificate", mtlsURL, "/users", "header", r.marker("apikey-tls-nocert"))
	noClientCert.CABundle = mtlsCA
	slow := apiKey("Slow API", r.echo.URL+"/api/slow", "/users", "query", r.marker("apikey-timeout"))
	slow.TimeoutSeconds = 1

	// Client secrets in the header and passwords travel as HTTP Basic
	// credentials, whose base64 is searched for too.
	echoBody, echoHeader := r.basicMarker("clientsecret-echo-body", "echo-client"), r.basicMarker("clientsecret-echo-header", "echo-client")
	wrongPassword := r.basicMarker("password-wrong", demo.JiraEmail)

	bodies := []httpapi.DatasourceBody{
		headerAuth,
		certificate,
		echoedAssertion,
		mtls,
		oauth("Token endpoint echoing (body)", r.echo.URL+"/token", "echo-client", echoBody, "body"),
		oauth("Token endpoint echoing (header)", r.echo.URL+"/token", "echo-client", echoHeader, "header"),
		bearerBody("Bearer, echoed", r.echo.URL+"/api/echo-auth", "/users", r.marker("bearer-echo")),
		bearerBody("Bearer, Graph 401", graph, "/users?$top=1", r.marker("bearer-graph")),
		apiKey("API key in a header, echoed", r.echo.URL+"/api/echo-key", "/users", "header", r.marker("apikey-header")),
		apiKey("API key in the query, echoed", r.echo.URL+"/api/echo-key", "/users?mail=a%40example.com", "query", r.marker("apikey-query")),
		{Name: "Jira, wrong password", BaseURL: e.JiraURL, TestPath: "/rest/api/3/myself", TimeoutSeconds: 2,
			Auth: httpapi.AuthBody{Mode: "basic", Username: demo.JiraEmail, Password: wrongPassword}},
		slow,
		bearerBody("Redirect to another host (bearer)", r.echo.URL+"/api/redirect-away", "/users", r.marker("bearer-redirect")),
		apiKey("Redirect to another host (API key)", r.echo.URL+"/api/redirect-away", "/users", "header", r.marker("apikey-redirect")),
		apiKey("Redirect loop (API key in the query)", r.echo.URL+"/api/redirect-loop", "/users", "query", r.marker("apikey-loop")),
		untrusted,
		noClientCert,
	}

	passed := map[string]bool{}
	for _, body := range bodies {
		r.createDatasource(body)
		passed[body.Name] = r.testConnection(body.Name)
	}
	for _, name := range []string{"Microsoft Graph", "Jira Cloud"} {
		passed[name] = r.testConnection(name)
	}
	return passed
}

// marker returns a new marker and records it as a secret of its kind.
func (r *secretsRun) marker(kind string) string {
	m := newMarker(kind)
	r.secrets.add(kind, m)
	return m
}

// basicMarker returns a new marker for a secret sent as the password of
// HTTP Basic credentials with user, and records it with the base64 of those
// credentials, plain and form-encoded as OAuth 2 clients send them.
func (r *secretsRun) basicMarker(kind, user string) string {
	m := newMarker(kind)
	r.secrets.add(kind, m, basicForm(user, m), clientBasicForm(user, m))
	return m
}

// draftTests runs Test connection on unsaved forms: new secrets, and a
// saved datasource's form with the secret left empty.
func (r *secretsRun) draftTests() {
	r.t.Helper()
	wrong := r.marker("clientsecret-draft-wrong")
	draft := r.graphBody(wrong)
	if result := decode[fieldlink.TestResult](r.t, r.call("POST", "/api/v1/datasources/test", draft, http.StatusOK)); result.OK {
		r.t.Errorf("Test connection with a wrong secret passed")
	}

	echoed := r.marker("clientsecret-draft-echo")
	draft = r.graphBody(echoed)
	draft.Auth.TokenURL = r.echo.URL + "/token"
	r.call("POST", "/api/v1/datasources/test", draft, http.StatusOK)

	saved := r.graphBody("")
	saved.ID = r.datasources["Microsoft Graph"]
	if result := decode[fieldlink.TestResult](r.t, r.call("POST", "/api/v1/datasources/test", saved, http.StatusOK)); !result.OK {
		r.t.Errorf("Test connection of the saved Graph form without its secret failed: %+v", result)
	}
}

// graphBody is the demo's Graph datasource with the given client secret.
func (r *secretsRun) graphBody(secret string) httpapi.DatasourceBody {
	return httpapi.DatasourceBody{Name: "Microsoft Graph", BaseURL: r.emulators.GraphURL + "/v1.0", TestPath: "/users?$top=1&$select=id",
		TimeoutSeconds: 10,
		Auth: httpapi.AuthBody{Mode: "oauth2-client-credentials", TokenURL: r.emulators.TokenURL(), ClientID: demo.ClientID,
			ClientSecret: secret, ClientAuthentication: "body", Scopes: []string{demo.GraphScope}}}
}

// invalidBodies sends datasource bodies that are rejected, each with a
// secret in it.
func (r *secretsRun) invalidBodies() {
	r.t.Helper()
	inURL := r.marker("password-in-url")
	inTokenURL := r.marker("secret-in-token-url")
	badKey := r.marker("private-key-garbage")
	controlChar := r.marker("password-control-char")
	broken := r.marker("secret-in-broken-json")
	unused := r.marker("secret-for-another-mode")

	bodies := []string{
		`{"name":"x","baseUrl":"ftp://admin:` + inURL + `@127.0.0.1/api","auth":{"mode":"none"}}`,
		`{"name":"x","baseUrl":"http://admin:` + inURL + `@127.0.0.1/api","auth":{"mode":"none"}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"oauth2-client-credentials","tokenUrl":"ftp://client:` + inTokenURL + `@127.0.0.1/token","clientId":"c","clientSecret":"s","clientAuthentication":"body"}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"oauth2-client-credentials","tokenUrl":"https://client:` + inTokenURL + `@127.0.0.1/%zz","clientId":"c","clientSecret":"s","clientAuthentication":"body"}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"oauth2-client-credentials","tokenUrl":"http://127.0.0.1/token","clientId":"c","clientAuthentication":"private_key_jwt","clientCertificate":"not a certificate","clientPrivateKey":"-----BEGIN PRIVATE KEY-----\n` + badKey + `\n-----END PRIVATE KEY-----\n"}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"basic","username":"u","password":"` + controlChar + `\n"}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"bearer","token":"` + broken + `",}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"bearer","token":"t","password":"` + unused + `"}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"oauth2-client-credentials","clientSecret":"` + unused + `"}}`,
		`{"name":"x","baseUrl":"http://127.0.0.1/api","auth":{"mode":"bearer","token":"` + broken + `"},"timeoutSeconds":"` + broken + `"}`,
	}
	for _, body := range bodies {
		for _, path := range []string{"/api/v1/datasources", "/api/v1/datasources/test", "/api/v1/datasources/" + r.datasources["Microsoft Graph"]} {
			method := "POST"
			if strings.HasPrefix(path, "/api/v1/datasources/ds_") {
				method = "PUT"
			}
			if status, raw := r.do(r.client, method, path, body); status != http.StatusBadRequest {
				r.t.Errorf("%s %s with an invalid body: status %d, want 400: %s", method, path, status, raw)
			}
		}
	}
}

// lookups evaluates and traces items on the datasources, and calls the
// Jira Automation lookup with right and wrong tokens.
func (r *secretsRun) lookups() {
	r.t.Helper()
	reporterContext := map[string]any{"context": map[string]any{"reporter": map[string]any{"emailAddress": "amelie.laurent@fabrikam.example"}}}

	r.call("POST", "/api/v1/items/"+r.officeItemID+"/evaluate", reporterContext, http.StatusOK)
	r.call("POST", "/api/v1/items/"+r.officeItemID+"/test", reporterContext, http.StatusOK)

	for _, name := range []string{"Mutual TLS", "Bearer, echoed", "API key in a header, echoed", "API key in the query, echoed",
		"Slow API", "Redirect to another host (bearer)", "Redirect loop (API key in the query)", "Graph, client secret in the header",
		"Token endpoint echoing (header)", "TLS, untrusted server"} {
		item := httpapi.ItemBody{Name: "Office via " + name, Datasource: r.datasources[name], Type: "read-only",
			Request: httpapi.ItemRequestBody{Path: "/users?mail=${reporter.emailAddress}"}, Root: "$.value[*]", Template: "${row.officeLocation}"}
		created := decode[httpapi.ItemBody](r.t, r.call("POST", "/api/v1/items", item, http.StatusCreated))
		r.do(r.client, "POST", "/api/v1/items/"+created.ID+"/evaluate", reporterContext)
		r.do(r.client, "POST", "/api/v1/items/"+created.ID+"/test", reporterContext)

		draft := map[string]any{"name": "draft", "datasource": r.datasources[name], "type": "read-only",
			"request": map[string]any{"path": "/users?mail=${reporter.emailAddress}"}, "root": "$.value[*]", "template": "${row.officeLocation}",
			"context": reporterContext["context"]}
		r.do(r.client, "POST", "/api/v1/items/test", draft)
	}

	token := decode[httpapi.LookupTokenBody](r.t, r.call("POST", "/api/v1/items/"+r.officeItemID+"/lookup-token", nil, http.StatusCreated))
	r.rec.issued(r.t, token.Token, "POST", "/api/v1/items/"+r.officeItemID+"/lookup-token")
	r.secrets.add("item lookup token", token.Token)
	issue := `{"key":"ITH-1","fields":{"reporter":{"emailAddress":"amelie.laurent@fabrikam.example"}}}`
	if status, raw := r.do(r.client, "POST", "/api/v1/lookup/"+r.officeItemID, issue, bearer(token.Token)); status != http.StatusOK {
		r.t.Errorf("lookup with the item's token: status %d: %s", status, raw)
	}
	if status, _ := r.do(r.client, "POST", "/api/v1/lookup/"+r.officeItemID, issue, bearer(r.marker("lookup-token-wrong"))); status != http.StatusUnauthorized {
		r.t.Errorf("lookup with a wrong token: status %d, want 401", status)
	}
	if status, _ := r.do(r.client, "POST", "/api/v1/lookup/"+r.officeItemID, issue); status != http.StatusUnauthorized {
		r.t.Errorf("lookup with the admin token: status %d, want 401", status)
	}

	// Rotation: a new token replaces the old one.
	rotated := decode[httpapi.LookupTokenBody](r.t, r.call("POST", "/api/v1/items/"+r.officeItemID+"/lookup-token", nil, http.StatusCreated))
	r.rec.issued(r.t, rotated.Token, "POST", "/api/v1/items/"+r.officeItemID+"/lookup-token")
	r.secrets.add("item lookup token (rotated)", rotated.Token)
	if status, _ := r.do(r.client, "POST", "/api/v1/lookup/"+r.officeItemID, issue, bearer(token.Token)); status != http.StatusUnauthorized {
		r.t.Errorf("lookup with the replaced token: status %d, want 401", status)
	}
	r.do(r.client, "POST", "/api/v1/lookup/"+r.officeItemID, issue, bearer(rotated.Token))
	r.do(r.client, "POST", "/api/v1/lookup/"+r.officeItemID, `{"key":`, bearer(rotated.Token))
}

// webhooks sends deliveries with wrong signatures and automation tokens,
// rotates the hook's secret and automation token, and simulates the rules.
func (r *secretsRun) webhooks() {
	r.t.Helper()
	issue := `{"key":"ITH-1","fields":{"reporter":{"emailAddress":"amelie.laurent@fabrikam.example"}}}`
	path := "/hooks/jira/" + r.hookID

	wrongSecret := r.marker("hooksecret-wrong")
	mac := hmac.New(sha256.New, []byte(wrongSecret))
	mac.Write([]byte(issue))
	if status, _ := r.do(r.client, "POST", path, issue, bearer(""), header("X-Hub-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))); status != http.StatusUnauthorized {
		r.t.Errorf("webhook signed with a wrong secret: status %d, want 401", status)
	}
	if status, _ := r.do(r.client, "POST", path, issue, bearer(""), header("X-Hub-Signature", "sha256="+wrongSecret)); status != http.StatusUnauthorized {
		r.t.Errorf("webhook with a secret as its signature: status %d, want 401", status)
	}

	hook := decode[httpapi.HookBody](r.t, r.call("POST", "/api/v1/hooks/"+r.hookID+"/automation-token", nil, http.StatusCreated))
	r.rec.issued(r.t, hook.AutomationToken, "POST", "/api/v1/hooks/"+r.hookID+"/automation-token")
	r.secrets.add("hook automation token", hook.AutomationToken)
	r.do(r.client, "POST", path, issue, bearer(""), header(httpapi.AutomationTokenHeader, hook.AutomationToken))
	if status, _ := r.do(r.client, "POST", path, issue, bearer(""), header(httpapi.AutomationTokenHeader, r.marker("automation-token-wrong"))); status != http.StatusUnauthorized {
		r.t.Errorf("Automation call with a wrong token: status %d, want 401", status)
	}
	rotatedToken := decode[httpapi.HookBody](r.t, r.call("POST", "/api/v1/hooks/"+r.hookID+"/automation-token", nil, http.StatusCreated))
	r.rec.issued(r.t, rotatedToken.AutomationToken, "POST", "/api/v1/hooks/"+r.hookID+"/automation-token")
	r.secrets.add("hook automation token (rotated)", rotatedToken.AutomationToken)
	r.do(r.client, "POST", path, issue, bearer(""), header(httpapi.AutomationTokenHeader, hook.AutomationToken))

	// Rotate the signing secret: Jira still signs with the old one until
	// its webhook gets the new one.
	rotated := decode[httpapi.HookBody](r.t, r.call("POST", "/api/v1/hooks/"+r.hookID+"/secret", nil, http.StatusOK))
	r.rec.issued(r.t, rotated.Secret, "POST", "/api/v1/hooks/"+r.hookID+"/secret")
	r.secrets.add("hook signing secret (rotated)", rotated.Secret)
	if _, err := r.emulators.Jira.CreateIssue(r.ctx, jiracloud.Account{DisplayName: "Oliver Bennett", Email: "oliver.bennett@fabrikam.example"}, "Printer jam"); err == nil {
		r.t.Errorf("a webhook signed with the replaced secret was accepted")
	}
	// The emulator keeps delivering to the old registration too, which is
	// rejected, so CreateIssue reports an error.
	r.emulators.Jira.RegisterWebhook(r.srv.URL()+path, rotated.Secret)
	r.hookSecret = rotated.Secret
	_, _ = r.emulators.Jira.CreateIssue(r.ctx, jiracloud.Account{DisplayName: "Marcus Johnson", Email: "marcus.johnson@fabrikam.example"}, "Monitor flickers")

	events := r.waitForEvents(4)
	for _, ev := range events {
		r.call("GET", fmt.Sprintf("/api/v1/events/%d", ev.ID), nil, http.StatusOK)
	}
	r.do(r.client, "POST", fmt.Sprintf("/api/v1/events/%d/replay", events[0].ID), nil)
	r.call("POST", "/api/v1/rules/simulate", httpapi.SimulateBody{Hook: r.hookID, Recent: 10}, http.StatusOK)
	r.call("GET", "/api/v1/hooks/"+r.hookID, nil, http.StatusOK)
	r.call("GET", "/api/v1/hooks", nil, http.StatusOK)
}

// apiTokens creates, uses and revokes API tokens.
func (r *secretsRun) apiTokens() {
	r.t.Helper()
	readOnly := decode[httpapi.CreatedToken](r.t, r.call("POST", "/api/v1/tokens", httpapi.CreateTokenRequest{Name: "monitoring", Scope: auth.ScopeReadOnly}, http.StatusCreated))
	r.rec.issued(r.t, readOnly.Secret, "POST", "/api/v1/tokens")
	r.secrets.add("API token (read-only)", readOnly.Secret)
	admin := decode[httpapi.CreatedToken](r.t, r.call("POST", "/api/v1/tokens", httpapi.CreateTokenRequest{Name: "automation", Scope: auth.ScopeAdmin}, http.StatusCreated))
	r.rec.issued(r.t, admin.Secret, "POST", "/api/v1/tokens")
	r.secrets.add("API token (admin)", admin.Secret)

	r.call("GET", "/metrics", nil, http.StatusOK, bearer(readOnly.Secret))
	r.call("GET", "/api/v1/datasources", nil, http.StatusOK, bearer(readOnly.Secret))
	if status, _ := r.do(r.client, "POST", "/api/v1/tokens", httpapi.CreateTokenRequest{Name: "x", Scope: "admin"}, bearer(readOnly.Secret)); status != http.StatusForbidden {
		r.t.Errorf("a read-only token created a token: status %d, want 403", status)
	}
	r.call("GET", "/api/v1/tokens", nil, http.StatusOK, bearer(admin.Secret))
	r.call("DELETE", "/api/v1/tokens/automation", nil, http.StatusNoContent)
	if status, _ := r.do(r.client, "GET", "/api/v1/tokens", nil, bearer(admin.Secret)); status != http.StatusUnauthorized {
		r.t.Errorf("a revoked token was accepted: status %d, want 401", status)
	}
	if status, _ := r.do(r.client, "GET", "/api/v1/datasources", nil, bearer(r.marker("api-token-wrong"))); status != http.StatusUnauthorized {
		r.t.Errorf("a wrong token was accepted: status %d, want 401", status)
	}
}

// signIn signs the browser in with the password, and then fails to sign in
// with a wrong password as the admin and as an unknown user.
func (r *secretsRun) signIn(password string) {
	r.t.Helper()
	status, raw := r.do(r.browser, "POST", "/api/v1/session", httpapi.SignInRequest{Username: secretsAdmin, Password: password})
	if status != http.StatusOK {
		r.t.Fatalf("sign in: status %d: %s", status, raw)
	}
	r.issueSessionCookie("POST", "/api/v1/session")

	wrong := r.marker("adminpassword-wrong")
	for _, username := range []string{secretsAdmin, "nobody"} {
		if status, _ := r.do(r.browser, "POST", "/api/v1/session", httpapi.SignInRequest{Username: username, Password: wrong}); status != http.StatusUnauthorized {
			r.t.Errorf("sign in as %s with a wrong password: status %d, want 401", username, status)
		}
	}
}

// issueSessionCookie records the browser's session cookie as a secret that
// the last response to method and path issued.
func (r *secretsRun) issueSessionCookie(method, path string) {
	r.t.Helper()
	base, _ := url.Parse(r.srv.URL())
	for _, c := range r.browser.Jar.Cookies(base) {
		if c.Name == "fieldlink_session" {
			r.rec.issued(r.t, c.Value, method, path)
			r.secrets.add("session cookie ("+method+" "+path+")", c.Value)
			return
		}
	}
	r.t.Fatalf("%s %s set no session cookie", method, path)
}

// readEverything reads every admin page, API list and record, the metrics
// and the health endpoints.
func (r *secretsRun) readEverything() {
	r.t.Helper()
	for _, page := range []string{"/", "/login", "/login?next=%2Frules&sso_error=token_exchange", "/datasources", "/items", "/rules", "/events", "/settings"} {
		if status, raw := r.do(r.browser, "GET", page, nil); status != http.StatusOK && status != http.StatusSeeOther {
			r.t.Errorf("GET %s with a session: status %d: %s", page, status, raw)
		}
	}
	for _, path := range []string{"/api/v1/datasources", "/api/v1/items", "/api/v1/rules", "/api/v1/hooks", "/api/v1/events",
		"/api/v1/tokens", "/api/v1/audit?limit=1000", "/api/v1/session", "/api/v1/sso?error=token_exchange"} {
		if status, raw := r.do(r.browser, "GET", path, nil); status != http.StatusOK {
			r.t.Errorf("GET %s with a session: status %d: %s", path, status, raw)
		}
	}
	for _, id := range r.datasources {
		r.do(r.browser, "GET", "/api/v1/datasources/"+id, nil)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		r.call("GET", path, nil, http.StatusOK)
	}
}

// signInBySSO runs the single sign-on flow as a browser would, through the
// recorder, and records the session cookie it ends with.
func (r *secretsRun) signInBySSO() {
	r.t.Helper()
	location := r.srv.URL() + "/sso/login?next=%2Frules"
	for range 5 {
		resp, err := r.browser.Get(location)
		if err != nil {
			r.t.Fatal(err)
		}
		resp.Body.Close()
		target, err := resp.Location()
		if err != nil {
			r.t.Fatalf("GET %s: status %d and no redirect", location, resp.StatusCode)
		}
		if strings.HasPrefix(target.String(), publicURL) {
			target, _ = url.Parse(r.srv.URL() + strings.TrimPrefix(target.String(), publicURL))
		}
		if target.Path == "/rules" {
			r.issueSessionCookie("GET", "/sso/callback")
			return
		}
		if target.Path == "/login" {
			r.t.Fatalf("single sign-on failed: %s", target)
		}
		location = target.String()
	}
	r.t.Fatalf("single sign-on did not finish after 5 redirects")
}

// failSSO makes single sign-on fail: a callback without the flow cookie,
// and an ID token for another audience.
func (r *secretsRun) failSSO() {
	r.t.Helper()
	r.do(r.browser, "GET", "/sso/callback?code="+r.marker("sso-code-forged")+"&state=forged", nil)

	r.provider.SetMisbehavior(oidcprovider.Misbehavior{WrongAudience: true})
	defer r.provider.SetMisbehavior(oidcprovider.Misbehavior{})
	location := r.srv.URL() + "/sso/login"
	for range 5 {
		resp, err := r.browser.Get(location)
		if err != nil {
			r.t.Fatal(err)
		}
		resp.Body.Close()
		target, err := resp.Location()
		if err != nil {
			return
		}
		if strings.HasPrefix(target.String(), publicURL) {
			target, _ = url.Parse(r.srv.URL() + strings.TrimPrefix(target.String(), publicURL))
		}
		if target.Path == "/login" {
			if target.Query().Get("sso_error") != "wrong_audience" {
				r.t.Errorf("single sign-on with a wrong audience ended at %s, want sso_error=wrong_audience", target)
			}
			return
		}
		location = target.String()
	}
}

// rotateDatasourceSecrets gives each datasource a new secret, tests it and
// evaluates the demo's item, and then restores the working secrets.
func (r *secretsRun) rotateDatasourceSecrets() {
	r.t.Helper()
	graphID := r.datasources["Microsoft Graph"]
	wrong := r.marker("clientsecret-rotated-out")
	r.call("PUT", "/api/v1/datasources/"+graphID, r.graphBody(wrong), http.StatusOK)
	if r.testConnection("Microsoft Graph") {
		r.t.Errorf("Test connection passed with a rotated-out secret")
	}
	r.do(r.client, "POST", "/api/v1/items/"+r.officeItemID+"/evaluate", map[string]any{"context": map[string]any{"reporter": map[string]any{"emailAddress": "amelie.laurent@fabrikam.example"}}})
	r.call("PUT", "/api/v1/datasources/"+graphID, r.graphBody(r.emulators.ClientSecret), http.StatusOK)
	if !r.testConnection("Microsoft Graph") {
		r.t.Errorf("Test connection failed after the secret was restored")
	}

	jira := decode[httpapi.DatasourceBody](r.t, r.call("GET", "/api/v1/datasources/"+r.datasources["Jira Cloud"], nil, http.StatusOK))
	jira.Auth.Password = r.basicMarker("jira-apitoken-rotated-out", demo.JiraEmail)
	r.call("PUT", "/api/v1/datasources/"+jira.ID, jira, http.StatusOK)
	r.testConnection("Jira Cloud")
	jira.Auth.Password = r.emulators.JiraAPIToken
	r.call("PUT", "/api/v1/datasources/"+jira.ID, jira, http.StatusOK)

	cert, key := keyPair(r.t)
	r.secrets.addKey("certificate private key (rotated)", key)
	certificate := decode[httpapi.DatasourceBody](r.t, r.call("GET", "/api/v1/datasources/"+r.datasources["Graph, certificate"], nil, http.StatusOK))
	certificate.Auth.ClientCertificate, certificate.Auth.ClientPrivateKey = cert, key
	r.call("PUT", "/api/v1/datasources/"+certificate.ID, certificate, http.StatusOK)
	r.testConnection("Graph, certificate")

	tlsCert, tlsKey := keyPair(r.t)
	r.secrets.addKey("TLS client key (rotated)", tlsKey)
	mtls := decode[httpapi.DatasourceBody](r.t, r.call("GET", "/api/v1/datasources/"+r.datasources["Mutual TLS"], nil, http.StatusOK))
	mtls.Auth.TLSClientCertificate, mtls.Auth.TLSClientKey = tlsCert, tlsKey
	mtls.Auth.APIKeyValue = r.marker("apikey-mtls-rotated")
	r.call("PUT", "/api/v1/datasources/"+mtls.ID, mtls, http.StatusOK)
	if r.testConnection("Mutual TLS") {
		r.t.Errorf("mutual TLS passed with a certificate the server does not trust")
	}

	for name, kind := range map[string]string{"Bearer, echoed": "bearer-echo-rotated", "API key in the query, echoed": "apikey-query-rotated",
		"Token endpoint echoing (header)": "clientsecret-echo-header-rotated"} {
		ds := decode[httpapi.DatasourceBody](r.t, r.call("GET", "/api/v1/datasources/"+r.datasources[name], nil, http.StatusOK))
		secret := r.basicMarker(kind, ds.Auth.ClientID)
		switch ds.Auth.Mode {
		case "bearer":
			ds.Auth.Token = secret
		case "api-key":
			ds.Auth.APIKeyValue = secret
		default:
			ds.Auth.ClientSecret = secret
		}
		r.call("PUT", "/api/v1/datasources/"+ds.ID, ds, http.StatusOK)
		r.testConnection(name)
	}
}

// restartWithNewKeys stops the server, changes the admin password in the
// database, and starts it again with a new admin token, a new master key
// ahead of the old one and a new single sign-on secret at a new provider.
// Then it checks that only the new credentials work.
func (r *secretsRun) restartWithNewKeys() {
	r.t.Helper()
	r.shutdown()
	oldToken := r.adminToken

	r.password = r.basicMarker("adminpassword-rotated", secretsAdmin)
	db := r.openStore()
	hash, err := auth.HashPassword(r.password)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := db.SetAdminPassword(r.ctx, secretsAdmin, hash); err != nil {
		r.t.Fatal(err)
	}
	db.Close()

	r.masterKey = r.newMasterKey("masterkey-rotated") + "," + r.masterKey
	r.adminToken = r.marker("admintoken-rotated")
	r.oidcSecret = r.basicMarker("oidcsecret-rotated", oidcClientID)
	r.provider = r.startProvider(r.oidcSecret)
	r.start()

	if status, _ := r.do(r.client, "GET", "/api/v1/datasources", nil, bearer(oldToken)); status != http.StatusUnauthorized {
		r.t.Errorf("the replaced admin token was accepted: status %d, want 401", status)
	}
	if !r.testConnection("Microsoft Graph") {
		r.t.Errorf("Test connection failed after the restart with a new master key")
	}
	graph := r.graphBody(r.emulators.ClientSecret)
	r.call("PUT", "/api/v1/datasources/"+r.datasources["Microsoft Graph"], graph, http.StatusOK)
	r.signIn(r.password)
	r.signInBySSO()
	r.readEverything()
}
