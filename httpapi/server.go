// Package httpapi serves fieldlink's REST API (documented in
// docs/openapi.yaml) and the Jira webhook intake. It translates between JSON
// and the domain types and holds no business logic.
package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
	"github.com/fieldlink/fieldlink/item"
)

// Store is the storage the API reads and writes.
type Store interface {
	fieldlink.DatasourceStore
	fieldlink.ItemStore
	fieldlink.RuleStore
	fieldlink.HookStore
	fieldlink.EventStore

	// FindItemByName returns the item with exactly the name, or an
	// ENotFound error.
	FindItemByName(ctx context.Context, name string) (fieldlink.Item, error)
	// SetItemLookupTokenHash stores the hex SHA-256 of an item's lookup
	// token, or removes the token when hash is empty.
	SetItemLookupTokenHash(ctx context.Context, id, hash string) error

	// ListRulesInSet returns the rules of one rule set in the order they
	// are tried.
	ListRulesInSet(ctx context.Context, ruleSet string) ([]fieldlink.Rule, error)
	// UpdateHook replaces every field of the stored hook with h.ID.
	UpdateHook(ctx context.Context, h *fieldlink.Hook) error
	// FindEvents returns the events that match f, newest first.
	FindEvents(ctx context.Context, f fieldlink.EventFilter) ([]fieldlink.Event, error)
}

// ConnectionTester runs Test connection on a datasource.
type ConnectionTester interface {
	Test(ctx context.Context, ds fieldlink.Datasource) fieldlink.TestResult
}

// ItemEvaluator evaluates items with their dependencies, traces them for the
// tester and drops their cached results. *item.Engine implements it.
type ItemEvaluator interface {
	EvaluateWithDependencies(ctx context.Context, it fieldlink.Item, r item.Resolver, tc fieldlink.TicketContext) (fieldlink.ItemResult, error)
	Trace(ctx context.Context, it fieldlink.Item, ds fieldlink.Datasource, tc fieldlink.TicketContext) (item.Trace, error)
	Forget(itemID string)
}

// EventQueue stores an accepted webhook delivery and schedules its processing.
type EventQueue interface {
	Enqueue(ctx context.Context, e *fieldlink.Event) (inserted bool, err error)
}

// Options configures the API.
type Options struct {
	Store  Store
	Tester ConnectionTester
	Items  ItemEvaluator

	// ForgetCredentialsFunc drops cached tokens of a datasource after it
	// changes.
	ForgetCredentialsFunc func(datasourceID string)

	// WarningsFunc returns a datasource's configuration warnings (a secret
	// that looks like a secret ID, a token URL for the common tenant, a
	// secret about to expire …), shown with the datasource.
	WarningsFunc func(ds fieldlink.Datasource, now time.Time) []string

	// Now returns the current time. Defaults to time.Now.
	Now func() time.Time

	// ValidateAuthFunc checks a datasource's authentication settings.
	ValidateAuthFunc func(fieldlink.Auth) error
	// ValidateItemFunc checks an item's templates and JSONPath. The API
	// checks every item and the references between items itself, with
	// item.ValidateAll.
	ValidateItemFunc func(fieldlink.Item) error
	// ValidateRuleFunc checks a rule's condition and fields.
	ValidateRuleFunc func(fieldlink.Rule) error

	Queue EventQueue

	// Replayer serves POST /api/v1/events/{id}/replay. Nil means Queue,
	// when it implements EventReplayer.
	Replayer EventReplayer

	// Simulator serves POST /api/v1/rules/simulate. Nil makes that route
	// return an error.
	Simulator Simulator

	// Metrics serves GET /metrics (Prometheus), behind the admin token.
	// Nil leaves the route out.
	Metrics http.Handler

	// PublicURL is the address Jira reaches fieldlink at, for example
	// "https://fieldlink.example.com", used in hook URLs. Empty means the
	// scheme and host of the request that reads or creates the hook.
	PublicURL string

	// AdminTokenHash is the SHA-256 of the bearer token the admin API accepts.
	AdminTokenHash [sha256.Size]byte

	// Sessions signs admins in with the session cookie. Nil leaves out
	// the /api/v1/session routes and accepts bearer tokens only.
	Sessions *auth.Manager

	// Tokens stores the API tokens. Nil leaves out the /api/v1/tokens
	// routes and accepts the admin token only.
	Tokens TokenStore

	// Audit stores the audit log of configuration changes. Nil records
	// nothing, and GET /api/v1/audit then returns an error.
	Audit auth.AuditLog

	// Readiness configures GET /readyz. Nil makes it return 503, because
	// nothing is checked.
	Readiness *Readiness

	// MaxBodyBytes bounds request bodies. Defaults to 1 MiB.
	MaxBodyBytes int64

	// IntakeLimiter counts failed webhook deliveries per client address
	// and hook. Defaults to 20 failures per minute.
	IntakeLimiter *auth.Limiter

	Logger *slog.Logger
}

// Server is the REST API and webhook intake.
type Server struct {
	opts         Options
	mux          *routeTable
	log          *slog.Logger
	webhookGuard *intakeGuard

	// crossOrigin rejects state-changing cookie requests from other
	// origins, using the browser's Sec-Fetch-Site and Origin headers.
	crossOrigin *http.CrossOriginProtection
}

// New returns the API handler.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, mux: newRouteTable(), log: opts.Logger, crossOrigin: http.NewCrossOriginProtection()}
	s.webhookGuard = newIntakeGuard(opts.IntakeLimiter, s.now, opts.Logger)
	s.routes()
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("POST /hooks/jira", s.intake)
	s.mux.HandleFunc("POST /hooks/jira/{hook}", s.intake)

	admin := func(pattern string, h http.HandlerFunc) {
		s.mux.Handle(pattern, s.requireAdmin(h))
	}
	admin("GET /api/v1/datasources", s.listDatasources)
	admin("POST /api/v1/datasources", s.createDatasource)
	admin("POST /api/v1/datasources/test", s.testDraftDatasource)
	admin("GET /api/v1/datasources/{id}", s.getDatasource)
	admin("PUT /api/v1/datasources/{id}", s.updateDatasource)
	admin("DELETE /api/v1/datasources/{id}", s.deleteDatasource)
	admin("POST /api/v1/datasources/{id}/test", s.testDatasource)

	admin("GET /api/v1/items", s.listItems)
	admin("POST /api/v1/items", s.createItem)
	admin("GET /api/v1/items/{id}", s.getItem)
	admin("PUT /api/v1/items/{id}", s.updateItem)
	admin("DELETE /api/v1/items/{id}", s.deleteItem)
	admin("POST /api/v1/items/test", s.testDraftItem)
	admin("POST /api/v1/items/{id}/evaluate", s.evaluateItem)
	admin("POST /api/v1/items/{id}/test", s.testItem)
	admin("POST /api/v1/items/{id}/lookup-token", s.createLookupToken)
	admin("DELETE /api/v1/items/{id}/lookup-token", s.deleteLookupToken)

	// Jira Automation authenticates with the item's own lookup token, not
	// the admin token.
	s.mux.HandleFunc("POST /api/v1/lookup/{item}", s.lookup)

	admin("GET /api/v1/rules", s.listRules)
	admin("POST /api/v1/rules", s.createRule)
	admin("POST /api/v1/rules/simulate", s.simulateRules)
	admin("GET /api/v1/rules/{id}", s.getRule)
	admin("PUT /api/v1/rules/{id}", s.updateRule)
	admin("DELETE /api/v1/rules/{id}", s.deleteRule)

	admin("GET /api/v1/hooks", s.listHooks)
	admin("POST /api/v1/hooks", s.createHook)
	admin("GET /api/v1/hooks/{id}", s.getHook)
	admin("PUT /api/v1/hooks/{id}", s.updateHook)
	admin("DELETE /api/v1/hooks/{id}", s.deleteHook)
	admin("POST /api/v1/hooks/{id}/secret", s.rotateHookSecret)
	admin("POST /api/v1/hooks/{id}/automation-token", s.createAutomationToken)
	admin("DELETE /api/v1/hooks/{id}/automation-token", s.deleteAutomationToken)

	if s.opts.Metrics != nil {
		admin("GET /metrics", s.opts.Metrics.ServeHTTP)
	}

	if s.opts.Sessions != nil {
		s.mux.HandleFunc("POST /api/v1/session", s.signIn)
		s.mux.HandleFunc("GET /api/v1/session", s.getSession)
		s.mux.HandleFunc("DELETE /api/v1/session", s.signOut)
	}
	if s.opts.Tokens != nil {
		admin("GET /api/v1/tokens", s.listTokens)
		admin("POST /api/v1/tokens", s.createToken)
		admin("DELETE /api/v1/tokens/{id}", s.deleteToken)
	}
	admin("GET /api/v1/audit", s.listAudit)

	admin("GET /api/v1/events", s.listEvents)
	admin("GET /api/v1/events/{id}", s.getEvent)
	admin("POST /api/v1/events/{id}/replay", s.replayEvent)

	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.ENotFound, "no API route %s %s: see docs/openapi.yaml", r.Method, r.URL.Path))
	})
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// decode reads a JSON body into v, rejecting unknown fields and bodies over
// the size limit with a message that names the problem.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()

	err := dec.Decode(v)
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var timeErr *time.ParseError
	switch {
	case err == nil:
	case errors.As(err, &tooLarge):
		return fieldlink.Errorf(fieldlink.EInvalid, "request body is larger than %d bytes", s.opts.MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return fieldlink.Errorf(fieldlink.EInvalid, "request body is empty: send a JSON object")
	case errors.As(err, &syntax):
		return fieldlink.Errorf(fieldlink.EInvalid, "request body is not valid JSON at byte %d: %v", syntax.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fieldlink.Errorf(fieldlink.EInvalid, "request body is not valid JSON: it ends before the object is complete")
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fieldlink.Errorf(fieldlink.EInvalid, "request body is a JSON %s: send a JSON object", typeErr.Value)
	case errors.As(err, &typeErr):
		return fieldlink.Errorf(fieldlink.EInvalid, "field %q must be %s, not a JSON %s", typeErr.Field, jsonKind(typeErr.Type), typeErr.Value)
	case errors.As(err, &timeErr):
		// encoding/json does not add the field to the error of a type that
		// decodes itself, such as time.Time.
		return fieldlink.Errorf(fieldlink.EInvalid, "request body has the time %q, which is not in RFC 3339 form: write times such as 2027-01-31T00:00:00Z", timeErr.Value)
	case strings.HasPrefix(err.Error(), "Time.UnmarshalJSON"):
		return fieldlink.Errorf(fieldlink.EInvalid, "request body has a time that is not a JSON string: write times as strings such as \"2027-01-31T00:00:00Z\"")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return fieldlink.Errorf(fieldlink.EInvalid, "request body has an %s: check its spelling against docs/openapi.yaml", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return fieldlink.Errorf(fieldlink.EInvalid, "read request body: %v", err)
	}

	if dec.More() {
		return fieldlink.Errorf(fieldlink.EInvalid, "request body has data after the JSON object: send one object")
	}
	return nil
}

// jsonKind names the JSON value a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another JSON type"
}

var statusByCode = map[string]int{
	fieldlink.EInvalid:      http.StatusBadRequest,
	fieldlink.ENotFound:     http.StatusNotFound,
	fieldlink.EConflict:     http.StatusConflict,
	fieldlink.EUnauthorized: http.StatusUnauthorized,
	fieldlink.EInternal:     http.StatusInternalServerError,
}

// writeError sends err as an ErrorBody. Internal errors are logged with
// their detail and sent a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := fieldlink.ErrorCode(err)
	status, ok := statusByCode[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == fieldlink.EInternal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: fieldlink.ErrorMessage(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func invalidf(format string, args ...any) error {
	return fieldlink.Errorf(fieldlink.EInvalid, format, args...)
}
