package httpapi

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/metrics"
)

func TestDatasourceShowsSecretExpiry(t *testing.T) {
	a := newAPI(t)
	body := graphBody("s")
	body.Auth.SecretExpiresAt = time.Now().Add(10 * 24 * time.Hour).UTC().Format(time.DateOnly)

	created := a.call("POST", "/api/v1/datasources", adminToken, body)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	ds := decodeBody[DatasourceBody](t, created)

	if len(ds.Expiry) != 1 {
		t.Fatalf("expiry = %+v, want one entry", ds.Expiry)
	}
	e := ds.Expiry[0]
	if e.Secret != "auth.clientSecret" || e.Status != "expiring" {
		t.Errorf("expiry entry = %+v, want auth.clientSecret expiring", e)
	}
	if e.DaysLeft < 8 || e.DaysLeft > 10 {
		t.Errorf("daysLeft = %d, want about 9", e.DaysLeft)
	}
}

func TestDatasourceBadSecretExpiry(t *testing.T) {
	a := newAPI(t)
	body := graphBody("s")
	body.Auth.SecretExpiresAt = "next year"

	r := a.call("POST", "/api/v1/datasources", adminToken, body)

	if r.status != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400", r.status)
	}
	if msg := decodeBody[ErrorBody](t, r).Error.Message; !strings.Contains(msg, `auth.secretExpiresAt "next year"`) {
		t.Errorf("message = %q, want it to name the field and value", msg)
	}
}

func TestDatasourceHealthFollowsConfig(t *testing.T) {
	a := newAPI(t)
	ds := decodeBody[DatasourceBody](t, a.call("POST", "/api/v1/datasources", adminToken, graphBody("s")))
	if ds.Health == nil || ds.Health.Status != HealthUnknown {
		t.Fatalf("new datasource health = %+v, want unknown", ds.Health)
	}

	stored, err := a.db.FindDatasource(context.Background(), ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	err = a.db.SetDatasourceHealth(context.Background(), ds.ID, fieldlink.DatasourceHealth{
		LastErrorAt: time.Now(), LastError: "invalid_client: AADSTS7000215", Unhealthy: true, ConfigVersion: stored.UpdatedAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := decodeBody[DatasourceBody](t, a.call("GET", "/api/v1/datasources/"+ds.ID, adminToken, nil))
	if got.Health.Status != HealthUnhealthy || got.Health.LastError != "invalid_client: AADSTS7000215" {
		t.Errorf("health after a config error = %+v, want unhealthy with the error", got.Health)
	}

	time.Sleep(2 * time.Millisecond) // UpdatedAt must move past the recorded version.
	fixed := a.call("PUT", "/api/v1/datasources/"+ds.ID, adminToken, graphBody("new-secret"))
	if fixed.status != http.StatusOK {
		t.Fatalf("update: %d %s", fixed.status, fixed.body)
	}
	if status := decodeBody[DatasourceBody](t, fixed).Health.Status; status == HealthUnhealthy {
		t.Errorf("health after the configuration changed = %q, want it no longer unhealthy", status)
	}
}

func TestDatasourceShowsWarnings(t *testing.T) {
	a := newAPI(t)
	srv := New(Options{
		Store:          a.db,
		AdminTokenHash: sha256.Sum256([]byte(adminToken)),
		WarningsFunc: func(ds fieldlink.Datasource, _ time.Time) []string {
			return []string{"auth.clientSecret of " + ds.Name + " looks like a secret ID"}
		},
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/datasources", strings.NewReader(`{"name":"Graph","baseUrl":"http://127.0.0.1:9","auth":{"mode":"none"}}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)

	srv.ServeHTTP(rec, req)

	if !strings.Contains(rec.Body.String(), "auth.clientSecret of Graph looks like a secret ID") {
		t.Errorf("response lacks the warning: %s", rec.Body)
	}
}

func TestTLSClientKeyKeptAcrossModeChange(t *testing.T) {
	a := newAPI(t)
	body := graphBody("s")
	body.Auth.TLSClientCertificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	body.Auth.TLSClientKey = "tls-key-marker"
	ds := decodeBody[DatasourceBody](t, a.call("POST", "/api/v1/datasources", adminToken, body))

	edit := DatasourceBody{Name: "Graph", BaseURL: body.BaseURL, Auth: AuthBody{Mode: "bearer", Token: "t",
		TLSClientCertificate: body.Auth.TLSClientCertificate}}
	r := a.call("PUT", "/api/v1/datasources/"+ds.ID, adminToken, edit)
	if r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	}

	stored, err := a.db.FindDatasource(context.Background(), ds.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Auth.TLSClientKey != "tls-key-marker" {
		t.Errorf("TLS client key after a mode change = %q, want it kept", stored.Auth.TLSClientKey)
	}
	if stored.Auth.ClientSecret != "" {
		t.Errorf("client secret kept after switching to bearer")
	}
}

func TestMetricsNeedTokenAndReportExpiry(t *testing.T) {
	a := newAPI(t)
	body := graphBody("s")
	body.Auth.SecretExpiresAt = "2030-01-01"
	a.call("POST", "/api/v1/datasources", adminToken, body)
	srv := httptest.NewServer(New(Options{
		Store:          a.db,
		AdminTokenHash: sha256.Sum256([]byte(adminToken)),
		Metrics:        metrics.Handler(metrics.Options{Datasources: a.db}),
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("metrics without a token: %d, want 401", resp.StatusCode)
	}

	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(raw), `fieldlink_secret_expiry_seconds{datasource="Microsoft Graph"`) {
		t.Errorf("metrics lack the secret expiry:\n%.2000s", raw)
	}
	if !strings.Contains(string(raw), `fieldlink_datasource_unhealthy{datasource="Microsoft Graph"`) {
		t.Errorf("metrics lack the health gauge")
	}
}
