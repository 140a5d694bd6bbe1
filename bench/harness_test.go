package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/credential"
	"github.com/fieldlink/fieldlink/emulator/entra"
	"github.com/fieldlink/fieldlink/emulator/graph"
	"github.com/fieldlink/fieldlink/item"
	"github.com/fieldlink/fieldlink/outbound"
	"github.com/fieldlink/fieldlink/seal"
	"github.com/fieldlink/fieldlink/store"
	"github.com/fieldlink/fieldlink/upstream"
)

// lookupSizes sets the sizes of the lookup benchmarks:
// BenchmarkLookupOverhead, BenchmarkNaiveScriptVersusFieldlink,
// BenchmarkColdTokenRequests and BenchmarkMemoryResident. The values are the
// full sizes; TestLookupBenchmarksRunBriefly makes them small.
var lookupSizes = struct {
	// overheadSamples is the largest number of lookups each arm of
	// BenchmarkLookupOverhead makes per benchmark iteration, and
	// overheadSamplesPerWorker the number per worker when that is fewer.
	overheadSamples          int
	overheadSamplesPerWorker int
	// overheadDirectory is the number of users the Graph emulator serves to
	// BenchmarkLookupOverhead. It exceeds the largest concurrency, so
	// lookups in flight at once name different users.
	overheadDirectory int

	// tickets and reporters shape BenchmarkNaiveScriptVersusFieldlink:
	// tickets filed by reporters drawn from a fixed seeded mapping.
	tickets   int
	reporters int

	// coldLookups is the number of concurrent lookups
	// BenchmarkColdTokenRequests starts on a datasource without a token.
	coldLookups int

	// datasources and items are stored by BenchmarkMemoryResident, and
	// cachedLookups results are cached over them.
	datasources   int
	items         int
	cachedLookups int
}{
	overheadSamples:          2000,
	overheadSamplesPerWorker: 200,
	overheadDirectory:        1200,
	tickets:                  1000,
	reporters:                200,
	coldLookups:              1000,
	datasources:              1000,
	items:                    1000,
	cachedLookups:            100_000,
}

// lookupDelays are the emulators' delays per response: none, and a fixed
// 20ms that stands for the round trip to a remote API.
var lookupDelays = []time.Duration{0, 20 * time.Millisecond}

// Identities of the made-up tenant the lookup benchmarks use.
const (
	lookupTenantID     = "5b2e9c14-7a3d-4f61-8e02-6c9d1b4a7f35"
	lookupClientID     = "e3c81f5a-2b6d-4c97-a0e4-8d1f7b3c5a26"
	lookupClientSecret = "bench~Secret.value_for+lookups"
	lookupGraphScope   = "https://graph.microsoft.com/.default"
	lookupGraphAud     = "https://graph.microsoft.com"
)

// lookupOffices are the offices of the made-up directory.
var lookupOffices = []string{"Paris", "London", "New York", "Singapore", "Berlin", "Sydney"}

// lookupUpstream is the Entra ID and Graph emulators on loopback, both
// delayed by the same latency.
type lookupUpstream struct {
	idp      *entra.Server
	api      *graph.Server
	tokenURL string
	// graphURL is the base URL of Graph v1.0, without a trailing slash.
	graphURL string
	users    []graph.User
}

// startLookupUpstream starts the emulators with a directory of users and
// the given latency per response. Graph checks every bearer token against
// the Entra emulator's signing key and the User.Read.All role, as it does
// in the demo.
func startLookupUpstream(tb testing.TB, users int, latency time.Duration) *lookupUpstream {
	tb.Helper()

	idp := entra.New(entra.Options{
		TenantID:  lookupTenantID,
		Resources: []string{lookupGraphAud},
		Apps: []entra.App{{
			ClientID:     lookupClientID,
			DisplayName:  "fieldlink benchmarks",
			ClientSecret: lookupClientSecret,
			Roles:        []string{"User.Read.All"},
		}},
		Latency: latency,
	})
	idpServer := httptest.NewServer(idp)
	tb.Cleanup(idpServer.Close)

	directory := lookupDirectory(users)
	api := graph.New(graph.Options{
		Users: directory,
		VerifyToken: func(raw string) ([]string, error) {
			claims, err := idp.VerifyToken(raw, lookupGraphAud)
			return claims.Roles, err
		},
		Latency: latency,
	})
	apiServer := httptest.NewServer(api)
	tb.Cleanup(apiServer.Close)

	return &lookupUpstream{
		idp:      idp,
		api:      api,
		tokenURL: idpServer.URL + "/" + lookupTenantID + "/oauth2/v2.0/token",
		graphURL: apiServer.URL + "/v1.0",
		users:    directory,
	}
}

// lookupDirectory returns n made-up users, each in one of lookupOffices.
func lookupDirectory(n int) []graph.User {
	users := make([]graph.User, n)
	for i := range users {
		name := fmt.Sprintf("user%05d", i)
		users[i] = graph.User{
			ID:                fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			DisplayName:       fmt.Sprintf("User %05d", i),
			Mail:              name + "@fabrikam.example",
			UserPrincipalName: name + "@fabrikam.example",
			OfficeLocation:    lookupOffices[i%len(lookupOffices)],
			UserType:          "Member",
			AccountEnabled:    true,
		}
	}
	return users
}

// lookupDatasource returns an unsaved Graph datasource that authenticates
// with the client credentials grant at the emulators of u.
func lookupDatasource(u *lookupUpstream, name string) fieldlink.Datasource {
	return fieldlink.Datasource{
		Name:          name,
		BaseURL:       u.graphURL,
		AllowLoopback: true,
		Auth: fieldlink.Auth{
			Mode:                 fieldlink.AuthOAuth2ClientCredentials,
			TokenURL:             u.tokenURL,
			ClientID:             lookupClientID,
			ClientSecret:         lookupClientSecret,
			ClientAuthentication: fieldlink.ClientAuthBody,
			Scopes:               []string{lookupGraphScope},
		},
	}
}

// lookupItem returns an unsaved read-only item that reads the reporter's
// office from Graph by user principal name, cached for cacheSeconds.
func lookupItem(name, datasourceID string, cacheSeconds int) fieldlink.Item {
	return fieldlink.Item{
		Name:         name,
		DatasourceID: datasourceID,
		Type:         fieldlink.ItemReadOnly,
		Request: fieldlink.ItemRequest{
			Method: "GET",
			Path:   "/users/${reporter.emailAddress}?$select=officeLocation",
		},
		Template:     "${row.officeLocation}",
		CacheSeconds: cacheSeconds,
	}
}

// lookupStack is fieldlink's lookup path wired the way package server wires
// it: the outbound client, the credential cache, the upstream client with
// health recorded in the store, and the items engine, over a SQLite store.
type lookupStack struct {
	db     *store.DB
	creds  *credential.Cache
	engine *item.Engine
}

// newLookupStack opens a SQLite file in a temporary folder and wires the
// lookup path over it. maxCacheEntries sizes the engine's result cache, and
// zero keeps the engine's default.
func newLookupStack(tb testing.TB, maxCacheEntries int) *lookupStack {
	tb.Helper()

	// The server logs at Info level and above. Records below it cost only
	// the level check, as they would in the server.
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))

	key := make([]byte, seal.KeySize)
	rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		tb.Fatalf("create sealer: %v", err)
	}
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "fieldlink.db"), sealer, logger)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })

	out := outbound.New(outbound.Options{AllowLoopback: true, Logger: logger})
	creds := credential.NewCache(out.For, logger)
	up := upstream.New(out, creds, logger, upstream.WithRecorder(upstream.NewStoreRecorder(db, logger)))
	engine := item.NewEngine(item.Options{Upstream: up, MaxCacheEntries: maxCacheEntries, Logger: logger})

	return &lookupStack{db: db, creds: creds, engine: engine}
}

// saveDatasource stores ds and returns it as the store reads it back, with
// its secrets opened, as the server holds it.
func (s *lookupStack) saveDatasource(tb testing.TB, ds fieldlink.Datasource) fieldlink.Datasource {
	tb.Helper()

	ctx := context.Background()
	if err := s.db.CreateDatasource(ctx, &ds); err != nil {
		tb.Fatalf("create datasource %q: %v", ds.Name, err)
	}
	saved, err := s.db.FindDatasource(ctx, ds.ID)
	if err != nil {
		tb.Fatalf("read datasource %s: %v", ds.ID, err)
	}
	return saved
}

// saveItem validates and stores it and returns it as the store reads it
// back.
func (s *lookupStack) saveItem(tb testing.TB, it fieldlink.Item) fieldlink.Item {
	tb.Helper()

	if err := item.Validate(it); err != nil {
		tb.Fatalf("item %q is invalid: %v", it.Name, err)
	}
	ctx := context.Background()
	if err := s.db.CreateItem(ctx, &it); err != nil {
		tb.Fatalf("create item %q: %v", it.Name, err)
	}
	saved, err := s.db.FindItem(ctx, it.ID)
	if err != nil {
		tb.Fatalf("read item %s: %v", it.ID, err)
	}
	return saved
}

// lookupReporterContext returns the ticket context of a ticket that user reported.
func lookupReporterContext(user graph.User) fieldlink.TicketContext {
	return fieldlink.TicketContext{Reporter: &fieldlink.User{
		AccountID:    "acct-" + user.ID,
		EmailAddress: user.Mail,
		DisplayName:  user.DisplayName,
	}}
}

// lookupCheckOffice returns an error unless result holds exactly the office of
// user.
func lookupCheckOffice(result fieldlink.ItemResult, user graph.User) error {
	if len(result.Values) != 1 || result.Values[0] != user.OfficeLocation {
		return fmt.Errorf("lookup of %s returned %q, want [%q]", user.Mail, result.Values, user.OfficeLocation)
	}
	return nil
}
