package store

import (
	"context"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/google/go-cmp/cmp"
)

func graphDatasource() fieldlink.Datasource {
	return fieldlink.Datasource{
		Name:                "Graph",
		BaseURL:             "http://127.0.0.1:8081/v1.0",
		APIDocumentationURL: "http://127.0.0.1:8081/docs",
		TestPath:            "/users?$top=1",
		Headers:             map[string]string{"ConsistencyLevel": "eventual"},
		TimeoutSeconds:      15,
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             "http://127.0.0.1:8081/tenant/oauth2/v2.0/token",
			ClientID:             "client-id-1",
			ClientSecret:         "client-secret-1",
			ClientAuthentication: fieldlink.ClientAuthBody,
			Scopes:               []string{"https://graph.microsoft.com/.default"},
		},
	}
}

func TestDatasourceRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		tests := []struct {
			name string
			ds   fieldlink.Datasource
		}{
			{"oauth2 client credentials", graphDatasource()},
			{"basic", fieldlink.Datasource{
				Name:    "CMDB",
				BaseURL: "http://127.0.0.1:8082",
				Auth:    fieldlink.Auth{Mode: fieldlink.AuthBasic, Username: "svc", Password: "basic-password-1"},
			}},
			{"bearer", fieldlink.Datasource{
				Name:    "CRM",
				BaseURL: "http://127.0.0.1:8083",
				Auth:    fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "bearer-token-1"},
			}},
			{"api key", fieldlink.Datasource{
				Name:    "Assets",
				BaseURL: "http://127.0.0.1:8084",
				Auth: fieldlink.Auth{
					Mode:        fieldlink.AuthAPIKey,
					APIKeyName:  "X-Api-Key",
					APIKeyValue: "api-key-value-1",
					APIKeyIn:    fieldlink.APIKeyInHeader,
				},
			}},
			{"no auth", fieldlink.Datasource{
				Name:    "Public",
				BaseURL: "http://127.0.0.1:8085",
				Auth:    fieldlink.Auth{Mode: fieldlink.AuthNone},
			}},
			{"private key JWT with mutual TLS", fieldlink.Datasource{
				Name:                  "Graph certificate",
				BaseURL:               "https://127.0.0.1:8086/v1.0",
				ConnectTimeoutSeconds: 5,
				CABundle:              testPEM("CERTIFICATE", "private-ca"),
				AllowLoopback:         true,
				AllowPrivateNetworks:  true,
				Auth: fieldlink.Auth{
					Mode:                 fieldlink.AuthOAuth2ClientCredentials,
					TokenURL:             "https://127.0.0.1:8086/tenant/oauth2/v2.0/token",
					ClientID:             "client-id-2",
					ClientAuthentication: fieldlink.ClientAuthPrivateKeyJWT,
					Scopes:               []string{"https://graph.microsoft.com/.default"},
					TokenParams:          map[string]string{"resource": "api://fieldlink", "audience": "graph"},
					ClientCertificate:    testPEM("CERTIFICATE", "client-assertion"),
					ClientPrivateKey:     testPEM("PRIVATE KEY", "client-assertion-key"),
					SendX5T:              true,
					TLSClientCertificate: testPEM("CERTIFICATE", "tls-client"),
					TLSClientKey:         testPEM("PRIVATE KEY", "tls-client-key"),
				},
			}},
			{"secret expiry", fieldlink.Datasource{
				Name:    "Expiring",
				BaseURL: "http://127.0.0.1:8087",
				Auth: fieldlink.Auth{
					Mode:            fieldlink.AuthBearer,
					Token:           "bearer-token-2",
					SecretExpiresAt: time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC),
				},
			}},
			{"empty token params", fieldlink.Datasource{
				Name:    "Empty params",
				BaseURL: "http://127.0.0.1:8088",
				Auth:    fieldlink.Auth{Mode: fieldlink.AuthOAuth2ClientCredentials, TokenParams: map[string]string{}},
			}},
			{"api key in query", fieldlink.Datasource{
				Name:    "Query key",
				BaseURL: "http://127.0.0.1:8089",
				Headers: map[string]string{"Accept": "application/json", "X-Tenant": "ünïcode ✓"},
				Auth: fieldlink.Auth{
					Mode:        fieldlink.AuthAPIKey,
					APIKeyName:  "api_key",
					APIKeyValue: "api-key-value-2 with spaces & symbols ✓",
					APIKeyIn:    fieldlink.APIKeyInQuery,
				},
			}},
			{"client secret in header", fieldlink.Datasource{
				Name:           "Header secret",
				BaseURL:        "http://127.0.0.1:8090",
				TimeoutSeconds: 120,
				Auth: fieldlink.Auth{
					Mode:                 fieldlink.AuthOAuth2ClientCredentials,
					TokenURL:             "http://127.0.0.1:8090/token",
					ClientID:             "client-id-3",
					ClientSecret:         "client-secret-3",
					ClientAuthentication: fieldlink.ClientAuthHeader,
					Scopes:               []string{"read", "write"},
				},
			}},
			{"every secret field", fieldlink.Datasource{
				Name:    "All secrets",
				BaseURL: "https://127.0.0.1:8091",
				Auth: fieldlink.Auth{
					Mode:             fieldlink.AuthOAuth2ClientCredentials,
					Username:         "svc",
					Password:         "password-4",
					Token:            "token-4",
					APIKeyValue:      "api-key-value-4",
					ClientSecret:     "client-secret-4",
					ClientPrivateKey: testPEM("PRIVATE KEY", "client-key-4"),
					TLSClientKey:     testPEM("PRIVATE KEY", "tls-key-4"),
				},
			}},
		}
		var found []fieldlink.Datasource
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ds := tt.ds
				if err := db.CreateDatasource(ctx, &ds); err != nil {
					t.Fatalf("CreateDatasource: %v", err)
				}

				if !strings.HasPrefix(ds.ID, "ds_") {
					t.Errorf("ID = %q, want prefix ds_", ds.ID)
				}
				if ds.CreatedAt.IsZero() || !ds.UpdatedAt.Equal(ds.CreatedAt) {
					t.Errorf("CreatedAt = %v, UpdatedAt = %v, want equal and set", ds.CreatedAt, ds.UpdatedAt)
				}

				want := tt.ds
				// Empty collections read back as nil.
				if len(want.Auth.TokenParams) == 0 {
					want.Auth.TokenParams = nil
				}
				want.ID = ds.ID
				want.CreatedAt = ds.CreatedAt
				want.UpdatedAt = ds.UpdatedAt

				got, err := db.FindDatasource(ctx, ds.ID)
				if err != nil {
					t.Fatalf("FindDatasource: %v", err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("FindDatasource (-want +got):\n%s", diff)
				}
				found = append(found, got)
			})
		}

		// The list returns every datasource as FindDatasource does, by name.
		slices.SortFunc(found, func(a, b fieldlink.Datasource) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		list, err := db.ListDatasources(ctx)
		if err != nil {
			t.Fatalf("ListDatasources: %v", err)
		}
		if diff := cmp.Diff(found, list); diff != "" {
			t.Errorf("ListDatasources (-want +got):\n%s", diff)
		}
	})
}

func TestDatasourceListOrderedByName(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		for _, name := range []string{"zeta", "Alpha", "beta"} {
			createTestDatasource(t, db, name)
		}

		list, err := db.ListDatasources(ctx)
		if err != nil {
			t.Fatalf("ListDatasources: %v", err)
		}

		var names []string
		for _, ds := range list {
			names = append(names, ds.Name)
		}
		if diff := cmp.Diff([]string{"Alpha", "beta", "zeta"}, names); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
	})
}

func TestDatasourceListEmpty(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {

		list, err := db.ListDatasources(context.Background())
		if err != nil {
			t.Fatalf("ListDatasources: %v", err)
		}
		if len(list) != 0 {
			t.Errorf("ListDatasources = %v, want none", list)
		}
	})
}

func TestDatasourceUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		db.now = fixedClock()
		ctx := context.Background()

		ds := graphDatasource()
		if err := db.CreateDatasource(ctx, &ds); err != nil {
			t.Fatalf("CreateDatasource: %v", err)
		}
		created := ds.CreatedAt

		ds.Name = "Graph beta"
		ds.BaseURL = "http://127.0.0.1:8081/beta"
		ds.Headers = nil
		ds.Auth = fieldlink.Auth{Mode: fieldlink.AuthBearer, Token: "new-token"}
		if err := db.UpdateDatasource(ctx, &ds); err != nil {
			t.Fatalf("UpdateDatasource: %v", err)
		}

		if !ds.CreatedAt.Equal(created) {
			t.Errorf("CreatedAt = %v, want the original %v", ds.CreatedAt, created)
		}
		if !ds.UpdatedAt.After(created) {
			t.Errorf("UpdatedAt = %v, want after %v", ds.UpdatedAt, created)
		}

		got, err := db.FindDatasource(ctx, ds.ID)
		if err != nil {
			t.Fatalf("FindDatasource: %v", err)
		}
		if diff := cmp.Diff(ds, got); diff != "" {
			t.Errorf("FindDatasource after update (-want +got):\n%s", diff)
		}
	})
}

func TestDatasourceNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		_, err := db.FindDatasource(ctx, "ds_missing")
		wantError(t, err, fieldlink.ENotFound, `datasource "ds_missing" not found`)

		ds := graphDatasource()
		ds.ID = "ds_missing"
		err = db.UpdateDatasource(ctx, &ds)
		wantError(t, err, fieldlink.ENotFound, `datasource "ds_missing" not found`)

		err = db.DeleteDatasource(ctx, "ds_missing")
		wantError(t, err, fieldlink.ENotFound, `datasource "ds_missing" not found`)
	})
}

func TestDatasourceNameConflict(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		createTestDatasource(t, db, "Graph")
		other := createTestDatasource(t, db, "CMDB")

		for _, name := range []string{"Graph", "graph"} {
			ds := fieldlink.Datasource{Name: name, BaseURL: "http://127.0.0.1:1"}
			err := db.CreateDatasource(ctx, &ds)
			wantError(t, err, fieldlink.EConflict, `a datasource named "`+name+`" already exists`)
		}

		other.Name = "Graph"
		err := db.UpdateDatasource(ctx, &other)
		wantError(t, err, fieldlink.EConflict, `a datasource named "Graph" already exists`)
	})
}

func TestDatasourceEmptyNameInvalid(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {

		ds := fieldlink.Datasource{Name: "  ", BaseURL: "http://127.0.0.1:1"}
		err := db.CreateDatasource(context.Background(), &ds)
		wantError(t, err, fieldlink.EInvalid, "datasource name is missing")
	})
}

func TestDatasourceDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		ds := createTestDatasource(t, db, "Graph")
		if err := db.DeleteDatasource(ctx, ds.ID); err != nil {
			t.Fatalf("DeleteDatasource: %v", err)
		}

		_, err := db.FindDatasource(ctx, ds.ID)
		wantError(t, err, fieldlink.ENotFound)
	})
}

func TestDatasourceDeleteInUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		ds := createTestDatasource(t, db, "Graph")
		for _, name := range []string{"Office", "Manager"} {
			it := fieldlink.Item{Name: name, DatasourceID: ds.ID, Type: fieldlink.ItemReadOnly}
			if err := db.CreateItem(ctx, &it); err != nil {
				t.Fatalf("CreateItem: %v", err)
			}
		}
		h := fieldlink.Hook{Name: "Intake", Secret: "s", JiraDatasourceID: ds.ID}
		if err := db.CreateHook(ctx, &h); err != nil {
			t.Fatalf("CreateHook: %v", err)
		}

		err := db.DeleteDatasource(ctx, ds.ID)
		wantError(t, err, fieldlink.EConflict, `datasource "Graph" is used by item "Manager", item "Office", hook "Intake"`)

		if _, err := db.FindDatasource(ctx, ds.ID); err != nil {
			t.Errorf("datasource gone after a rejected delete: %v", err)
		}
	})
}

// testPEM returns a PEM block of the type whose content is label, enough
// for a store that keeps PEM as text without parsing it.
func testPEM(blockType, label string) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: []byte(label)}))
}

func TestDatasourceUpdateConnectionSettings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()

		ds := graphDatasource()
		ds.ConnectTimeoutSeconds = 3
		ds.CABundle = testPEM("CERTIFICATE", "old-ca")
		ds.AllowLoopback = true
		ds.Auth.TLSClientCertificate = testPEM("CERTIFICATE", "tls-client")
		ds.Auth.TLSClientKey = testPEM("PRIVATE KEY", "tls-client-key")
		if err := db.CreateDatasource(ctx, &ds); err != nil {
			t.Fatalf("CreateDatasource: %v", err)
		}

		// Every connection setting changes, and the ones switched off read back as off.
		ds.ConnectTimeoutSeconds = 0
		ds.CABundle = ""
		ds.AllowLoopback = false
		ds.AllowPrivateNetworks = true
		ds.Auth.TLSClientCertificate = ""
		ds.Auth.TLSClientKey = ""
		ds.Auth.SecretExpiresAt = time.Date(2027, 2, 3, 4, 5, 6, 0, time.UTC)
		if err := db.UpdateDatasource(ctx, &ds); err != nil {
			t.Fatalf("UpdateDatasource: %v", err)
		}

		got, err := db.FindDatasource(ctx, ds.ID)
		if err != nil {
			t.Fatalf("FindDatasource: %v", err)
		}
		if diff := cmp.Diff(ds, got); diff != "" {
			t.Errorf("FindDatasource after update (-want +got):\n%s", diff)
		}
	})
}
