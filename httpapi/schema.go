package httpapi

import (
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/expiry"
)

// DatasourceBody is the JSON shape of a datasource. Secret fields are
// write-only: requests may set them, responses only report whether they are set.
type DatasourceBody struct {
	ID                    string            `json:"id,omitempty"`
	Name                  string            `json:"name"`
	BaseURL               string            `json:"baseUrl"`
	APIDocumentationURL   string            `json:"apiDocumentationUrl,omitempty"`
	TestPath              string            `json:"testPath,omitempty"`
	Headers               map[string]string `json:"headers,omitempty"`
	TimeoutSeconds        int               `json:"timeoutSeconds,omitempty"`
	ConnectTimeoutSeconds int               `json:"connectTimeoutSeconds,omitempty"`
	CABundle              string            `json:"caBundle,omitempty"`
	AllowLoopback         bool              `json:"allowLoopback,omitempty"`
	AllowPrivateNetworks  bool              `json:"allowPrivateNetworks,omitempty"`
	Auth                  AuthBody          `json:"auth"`

	// Read-only fields, ignored in requests.
	Health    *HealthBody  `json:"health,omitempty"`
	Expiry    []ExpiryBody `json:"expiry,omitempty"`
	Warnings  []string     `json:"warnings,omitempty"`
	CreatedAt *time.Time   `json:"createdAt,omitempty"`
	UpdatedAt *time.Time   `json:"updatedAt,omitempty"`
}

// HealthBody is a datasource's recorded connection health.
type HealthBody struct {
	Status        string     `json:"status"`
	LastTestAt    *time.Time `json:"lastTestAt,omitempty"`
	LastSuccessAt *time.Time `json:"lastSuccessAt,omitempty"`
	LastErrorAt   *time.Time `json:"lastErrorAt,omitempty"`
	LastError     string     `json:"lastError,omitempty"`
}

// ExpiryBody is one secret or certificate of a datasource with its expiry.
type ExpiryBody struct {
	// Secret names the field, for example "auth.clientSecret" or
	// "auth.clientCertificate".
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expiresAt"`
	// DaysLeft is negative once the secret has expired.
	DaysLeft int `json:"daysLeft"`
	// Status is "ok", "expiring" (within 30 days) or "expired".
	Status string `json:"status"`
}

// AuthBody is the JSON shape of a datasource's authentication.
type AuthBody struct {
	Mode fieldlink.AuthMode `json:"mode"`

	Username    string `json:"username,omitempty"`
	Password    string `json:"password,omitempty"`
	PasswordSet bool   `json:"passwordSet,omitempty"`

	Token    string `json:"token,omitempty"`
	TokenSet bool   `json:"tokenSet,omitempty"`

	APIKeyName     string `json:"apiKeyName,omitempty"`
	APIKeyValue    string `json:"apiKeyValue,omitempty"`
	APIKeyValueSet bool   `json:"apiKeyValueSet,omitempty"`
	APIKeyIn       string `json:"apiKeyIn,omitempty"`

	TokenURL             string            `json:"tokenUrl,omitempty"`
	ClientID             string            `json:"clientId,omitempty"`
	ClientSecret         string            `json:"clientSecret,omitempty"`
	ClientSecretSet      bool              `json:"clientSecretSet,omitempty"`
	ClientAuthentication string            `json:"clientAuthentication,omitempty"`
	Scopes               []string          `json:"scopes,omitempty"`
	TokenParams          map[string]string `json:"tokenParams,omitempty"`

	ClientCertificate   string `json:"clientCertificate,omitempty"`
	ClientPrivateKey    string `json:"clientPrivateKey,omitempty"`
	ClientPrivateKeySet bool   `json:"clientPrivateKeySet,omitempty"`
	SendX5T             bool   `json:"sendX5t,omitempty"`

	TLSClientCertificate string `json:"tlsClientCertificate,omitempty"`
	TLSClientKey         string `json:"tlsClientKey,omitempty"`
	TLSClientKeySet      bool   `json:"tlsClientKeySet,omitempty"`

	// SecretExpiresAt is when this mode's secret expires, as RFC 3339 or a
	// date (2027-01-31). Empty means unknown.
	SecretExpiresAt string `json:"secretExpiresAt,omitempty"`
}

// ItemBody is the JSON shape of a connected item.
type ItemBody struct {
	ID            string             `json:"id,omitempty"`
	Name          string             `json:"name"`
	Datasource    string             `json:"datasource"`
	Type          fieldlink.ItemType `json:"type"`
	Request       ItemRequestBody    `json:"request"`
	Root          string             `json:"root,omitempty"`
	Template      string             `json:"template"`
	LabelTemplate string             `json:"labelTemplate,omitempty"`
	// CacheSeconds is how long a result is reused; left out, it is
	// DefaultCacheSeconds, and 0 disables the cache.
	CacheSeconds *int        `json:"cacheSeconds,omitempty"`
	MaxRows      int         `json:"maxRows,omitempty"`
	Paging       *PagingBody `json:"paging,omitempty"`

	// HasLookupToken is read-only: it reports whether Jira Automation can
	// call POST /api/v1/lookup/{item} for this item. The token itself is
	// shown once, when it is created.
	HasLookupToken bool `json:"hasLookupToken,omitempty"`
}

// PagingBody is the JSON shape of an item's paging settings.
type PagingBody struct {
	Mode        fieldlink.PagingMode `json:"mode,omitempty"`
	CursorPath  string               `json:"cursorPath,omitempty"`
	CursorParam string               `json:"cursorParam,omitempty"`
	OffsetParam string               `json:"offsetParam,omitempty"`
	LimitParam  string               `json:"limitParam,omitempty"`
	PageSize    int                  `json:"pageSize,omitempty"`
}

// ItemRequestBody is the JSON shape of an item's request template.
type ItemRequestBody struct {
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// EvaluateBody is the request of POST /api/v1/items/{id}/evaluate.
type EvaluateBody struct {
	Context fieldlink.TicketContext `json:"context"`
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's code and a message safe to show.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ListBody wraps a list response.
type ListBody[T any] struct {
	Items []T `json:"items"`
}

// datasourceToBody returns the datasource as the API shows it at now:
// secrets only as "set", with its health and the expiry of its secrets and
// certificates.
func datasourceToBody(ds fieldlink.Datasource, now time.Time) DatasourceBody {
	a := ds.Auth
	created, updated := ds.CreatedAt, ds.UpdatedAt
	body := DatasourceBody{
		ID:                    ds.ID,
		Name:                  ds.Name,
		BaseURL:               ds.BaseURL,
		APIDocumentationURL:   ds.APIDocumentationURL,
		TestPath:              ds.TestPath,
		Headers:               ds.Headers,
		TimeoutSeconds:        ds.TimeoutSeconds,
		ConnectTimeoutSeconds: ds.ConnectTimeoutSeconds,
		CABundle:              ds.CABundle,
		AllowLoopback:         ds.AllowLoopback,
		AllowPrivateNetworks:  ds.AllowPrivateNetworks,
		Health:                healthToBody(ds),
		CreatedAt:             &created,
		UpdatedAt:             &updated,
		Auth: AuthBody{
			Mode:                 a.Mode,
			Username:             a.Username,
			PasswordSet:          a.Password != "",
			TokenSet:             a.Token != "",
			APIKeyName:           a.APIKeyName,
			APIKeyValueSet:       a.APIKeyValue != "",
			APIKeyIn:             a.APIKeyIn,
			TokenURL:             a.TokenURL,
			ClientID:             a.ClientID,
			ClientSecretSet:      a.ClientSecret != "",
			ClientAuthentication: a.ClientAuthentication,
			Scopes:               a.Scopes,
			TokenParams:          a.TokenParams,
			ClientCertificate:    a.ClientCertificate,
			ClientPrivateKeySet:  a.ClientPrivateKey != "",
			SendX5T:              a.SendX5T,
			TLSClientCertificate: a.TLSClientCertificate,
			TLSClientKeySet:      a.TLSClientKey != "",
		},
	}
	if !a.SecretExpiresAt.IsZero() {
		body.Auth.SecretExpiresAt = a.SecretExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	for _, e := range expiry.Of(ds) {
		body.Expiry = append(body.Expiry, ExpiryBody{Secret: e.Secret, ExpiresAt: e.ExpiresAt, DaysLeft: e.DaysLeft(now), Status: e.Status(now)})
	}
	return body
}

// Health statuses of a datasource.
const (
	HealthUnknown   = "unknown"
	HealthHealthy   = "healthy"
	HealthFailing   = "failing"
	HealthUnhealthy = "unhealthy"
)

// healthToBody summarizes the recorded health: "unhealthy" while a
// configuration error applies to the current configuration, "failing" when
// the last failure is newer than the last success, "healthy" after a
// success, "unknown" before any request.
func healthToBody(ds fieldlink.Datasource) *HealthBody {
	h := ds.Health
	body := &HealthBody{
		Status:        HealthUnknown,
		LastTestAt:    timeOrNil(h.LastTestAt),
		LastSuccessAt: timeOrNil(h.LastSuccessAt),
		LastErrorAt:   timeOrNil(h.LastErrorAt),
		LastError:     h.LastError,
	}
	switch {
	case h.Unhealthy && h.ConfigVersion.Equal(ds.UpdatedAt):
		body.Status = HealthUnhealthy
	case !h.LastErrorAt.IsZero() && h.LastErrorAt.After(h.LastSuccessAt):
		body.Status = HealthFailing
	case !h.LastSuccessAt.IsZero():
		body.Status = HealthHealthy
	}
	return body
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// parseExpiry reads auth.secretExpiresAt: RFC 3339, or a date, taken as the
// start of that day in UTC so the warning never comes late. The time must
// fall within the years 1 to 9999 in UTC, which RFC 3339 and JSON can carry.
func parseExpiry(raw string) (time.Time, error) {
	if raw == "" {
		return time.Time{}, nil
	}

	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		t, err = time.Parse(time.DateOnly, raw)
	}
	if err != nil {
		return time.Time{}, fieldlink.Errorf(fieldlink.EInvalid,
			"auth.secretExpiresAt %q is not a date in the form YYYY-MM-DD: write the secret's Expires date from the portal as, for example, 2027-01-31 (or give an RFC 3339 time such as 2027-01-31T00:00:00Z)", raw)
	}

	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fieldlink.Errorf(fieldlink.EInvalid,
			"auth.secretExpiresAt %q is out of range: give a date from 0001-01-01 to 9999-12-31 in UTC, such as 2027-01-31", raw)
	}
	return t, nil
}

// datasourceFromBody builds a datasource from a request. A secret left empty
// keeps the one in previous, so an admin can edit other fields without
// typing the secret again: the mode's secrets while the mode stays the
// same, and the TLS client key in any mode.
func datasourceFromBody(b DatasourceBody, previous *fieldlink.Datasource) (fieldlink.Datasource, error) {
	secretExpiresAt, err := parseExpiry(b.Auth.SecretExpiresAt)
	if err != nil {
		return fieldlink.Datasource{}, err
	}
	ds := fieldlink.Datasource{
		Name:                  b.Name,
		BaseURL:               b.BaseURL,
		APIDocumentationURL:   b.APIDocumentationURL,
		TestPath:              b.TestPath,
		Headers:               b.Headers,
		TimeoutSeconds:        b.TimeoutSeconds,
		ConnectTimeoutSeconds: b.ConnectTimeoutSeconds,
		CABundle:              b.CABundle,
		AllowLoopback:         b.AllowLoopback,
		AllowPrivateNetworks:  b.AllowPrivateNetworks,
		Auth: fieldlink.Auth{
			Mode:                 b.Auth.Mode,
			Username:             b.Auth.Username,
			Password:             b.Auth.Password,
			Token:                b.Auth.Token,
			APIKeyName:           b.Auth.APIKeyName,
			APIKeyValue:          b.Auth.APIKeyValue,
			APIKeyIn:             b.Auth.APIKeyIn,
			TokenURL:             b.Auth.TokenURL,
			ClientID:             b.Auth.ClientID,
			ClientSecret:         b.Auth.ClientSecret,
			ClientAuthentication: b.Auth.ClientAuthentication,
			Scopes:               b.Auth.Scopes,
			TokenParams:          b.Auth.TokenParams,
			ClientCertificate:    b.Auth.ClientCertificate,
			ClientPrivateKey:     b.Auth.ClientPrivateKey,
			SendX5T:              b.Auth.SendX5T,
			TLSClientCertificate: b.Auth.TLSClientCertificate,
			TLSClientKey:         b.Auth.TLSClientKey,
			SecretExpiresAt:      secretExpiresAt,
		},
	}
	if previous == nil {
		return ds, nil
	}

	ds.ID = previous.ID
	ds.CreatedAt = previous.CreatedAt
	ds.Health = previous.Health
	next, prev := ds.Auth.SecretFields(), previous.Auth.SecretFields()
	for name, value := range next {
		keep := ds.Auth.Mode == previous.Auth.Mode || name == "tlsClientKey"
		if *value == "" && keep {
			*value = *prev[name]
		}
	}
	return ds, nil
}

func itemToBody(it fieldlink.Item) ItemBody {
	return ItemBody{
		ID:         it.ID,
		Name:       it.Name,
		Datasource: it.DatasourceID,
		Type:       it.Type,
		Request: ItemRequestBody{
			Method:  it.Request.Method,
			Path:    it.Request.Path,
			Headers: it.Request.Headers,
			Body:    it.Request.Body,
		},
		Root:           it.Root,
		Template:       it.Template,
		LabelTemplate:  it.LabelTemplate,
		CacheSeconds:   &it.CacheSeconds,
		MaxRows:        it.MaxRows,
		Paging:         pagingToBody(it.Paging),
		HasLookupToken: it.LookupTokenHash != "",
	}
}

// pagingToBody returns nil for the zero Paging, so an item with default
// paging shows no paging object.
func pagingToBody(p fieldlink.Paging) *PagingBody {
	if p == (fieldlink.Paging{}) {
		return nil
	}
	return &PagingBody{
		Mode:        p.Mode,
		CursorPath:  p.CursorPath,
		CursorParam: p.CursorParam,
		OffsetParam: p.OffsetParam,
		LimitParam:  p.LimitParam,
		PageSize:    p.PageSize,
	}
}

func itemFromBody(b ItemBody) fieldlink.Item {
	method := strings.ToUpper(b.Request.Method)
	if method == "" {
		method = "GET"
	}
	return fieldlink.Item{
		Name:         b.Name,
		DatasourceID: b.Datasource,
		Type:         b.Type,
		Request: fieldlink.ItemRequest{
			Method:  method,
			Path:    b.Request.Path,
			Headers: b.Request.Headers,
			Body:    b.Request.Body,
		},
		Root:          b.Root,
		Template:      b.Template,
		LabelTemplate: b.LabelTemplate,
		CacheSeconds:  cacheSeconds(b.CacheSeconds),
		MaxRows:       b.MaxRows,
		Paging:        pagingFromBody(b.Paging),
	}
}

func pagingFromBody(b *PagingBody) fieldlink.Paging {
	if b == nil {
		return fieldlink.Paging{}
	}
	return fieldlink.Paging{
		Mode:        b.Mode,
		CursorPath:  b.CursorPath,
		CursorParam: b.CursorParam,
		OffsetParam: b.OffsetParam,
		LimitParam:  b.LimitParam,
		PageSize:    b.PageSize,
	}
}

// DefaultCacheSeconds is the cache time of an item created without
// cacheSeconds: five minutes, as the Jira apps that fieldlink replaces use.
const DefaultCacheSeconds = 300

func cacheSeconds(v *int) int {
	if v == nil {
		return DefaultCacheSeconds
	}
	return *v
}
