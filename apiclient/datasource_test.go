package apiclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
)

const adminToken = "apiclient-test-admin-token"

type fakeTester struct {
	TestFunc func(ds fieldlink.Datasource) fieldlink.TestResult
}

func (f *fakeTester) Test(_ context.Context, ds fieldlink.Datasource) fieldlink.TestResult {
	return f.TestFunc(ds)
}

// newClient returns a client of the real API on a real SQLite file.
func newClient(t *testing.T, tester *fakeTester) *Client {
	t.Helper()
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "fieldlink.db"), sealer, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	srv := httptest.NewServer(httpapi.New(httpapi.Options{Store: db, Tester: tester, AdminTokenHash: sha256.Sum256([]byte(adminToken))}))
	t.Cleanup(srv.Close)
	return &Client{BaseURL: srv.URL, Token: adminToken}
}

func bearerBody(name, token string) httpapi.DatasourceBody {
	return httpapi.DatasourceBody{
		Name:    name,
		BaseURL: "http://127.0.0.1:9/api",
		Auth:    httpapi.AuthBody{Mode: fieldlink.AuthBearer, Token: token},
	}
}

func TestDatasourceLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, &fakeTester{})

	created, err := c.CreateDatasource(ctx, bearerBody("CMDB", "first-token"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	got, err := c.GetDatasource(ctx, created.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Name != "CMDB" || !got.Auth.TokenSet || got.Auth.Token != "" {
		t.Errorf("get: name %q, tokenSet %v, token %q", got.Name, got.Auth.TokenSet, got.Auth.Token)
	}

	updated, err := c.UpdateDatasource(ctx, created.ID, bearerBody("CMDB renamed", ""))
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.Name != "CMDB renamed" || !updated.Auth.TokenSet {
		t.Errorf("update: name %q, tokenSet %v, want the new name and the kept token", updated.Name, updated.Auth.TokenSet)
	}

	raw, _ := json.Marshal(bearerBody("Asset API", "t"))
	if _, err := c.CreateDatasourceJSON(ctx, raw); err != nil {
		t.Fatalf("create from JSON: %v", err)
	}
	all, err := c.ListDatasources(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(all) != 2 || all[0].Name != "Asset API" || all[1].Name != "CMDB renamed" {
		t.Errorf("list = %+v, want Asset API and CMDB renamed", all)
	}

	if err := c.DeleteDatasource(ctx, created.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.GetDatasource(ctx, created.ID)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Code != fieldlink.ENotFound {
		t.Errorf("get after delete: %v, want a not_found APIError", err)
	}
}

func TestDatasourceIDIsEscaped(t *testing.T) {
	c := newClient(t, &fakeTester{})

	_, err := c.GetDatasource(context.Background(), "../items")

	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("get ../items: %v, want not found instead of another route", err)
	}
}

func TestTestDraftDatasource(t *testing.T) {
	var tested fieldlink.Datasource
	c := newClient(t, &fakeTester{TestFunc: func(ds fieldlink.Datasource) fieldlink.TestResult {
		tested = ds
		return fieldlink.TestResult{OK: false, Status: "API REQUEST FAILED", Steps: []fieldlink.TestStep{{Name: "request", Hint: "check the path"}}}
	}})

	result, err := c.TestDraftDatasource(context.Background(), bearerBody("Draft", "draft-token"))

	if err != nil {
		t.Fatalf("test draft: %v", err)
	}
	if tested.Name != "Draft" || tested.Auth.Token != "draft-token" {
		t.Errorf("tested %q with token %q, want the draft", tested.Name, tested.Auth.Token)
	}
	if result.OK || len(result.Steps) != 1 || result.Steps[0].Hint != "check the path" {
		t.Errorf("result = %+v, want the tester's", result)
	}
}

func TestCreateDatasourceJSONUnknownField(t *testing.T) {
	c := newClient(t, &fakeTester{})

	_, err := c.CreateDatasourceJSON(context.Background(), json.RawMessage(`{"name": "x", "baseUrll": "http://127.0.0.1:9", "auth": {"mode": "none"}}`))

	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != fieldlink.EInvalid {
		t.Fatalf("create with an unknown field: %v, want an invalid APIError", err)
	}
	if want := `unknown field "baseUrll"`; !strings.Contains(apiErr.Message, want) {
		t.Errorf("message = %q, want it to contain %q", apiErr.Message, want)
	}
}
