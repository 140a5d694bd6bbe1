package httpapi

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/fieldlink/fieldlink"
)

// DatasourceBody is the JSON shape of a datasource. Secret fields are
// write-only: requests may set them, responses only report whether they are set.
type DatasourceBody struct {
	ID                  string            `json:"id,omitempty"`
	Name                string            `json:"name"`
	BaseURL             string            `json:"baseUrl"`
	APIDocumentationURL string            `json:"apiDocumentationUrl,omitempty"`
	TestPath            string            `json:"testPath,omitempty"`
	Headers             map[string]string `json:"headers,omitempty"`
	TimeoutSeconds      int               `json:"timeoutSeconds,omitempty"`
	Auth                AuthBody          `json:"auth"`
	CreatedAt           *time.Time        `json:"createdAt,omitempty"`
	UpdatedAt           *time.Time        `json:"updatedAt,omitempty"`
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

	TokenURL             string   `json:"tokenUrl,omitempty"`
	ClientID             string   `json:"clientId,omitempty"`
	ClientSecret         string   `json:"clientSecret,omitempty"`
	ClientSecretSet      bool     `json:"clientSecretSet,omitempty"`
	ClientAuthentication string   `json:"clientAuthentication,omitempty"`
	Scopes               []string `json:"scopes,omitempty"`
}

// ItemBody is the JSON shape of a connected item.
type ItemBody struct {
	ID           string             `json:"id,omitempty"`
	Name         string             `json:"name"`
	Datasource   string             `json:"datasource"`
	Type         fieldlink.ItemType `json:"type"`
	Request      ItemRequestBody    `json:"request"`
	Root         string             `json:"root,omitempty"`
	Template     string             `json:"template"`
	CacheSeconds int                `json:"cacheSeconds,omitempty"`
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

// RuleBody is the JSON shape of a routing rule.
type RuleBody struct {
	ID        string                     `json:"id,omitempty"`
	Name      string                     `json:"name"`
	Position  int                        `json:"position"`
	Condition string                     `json:"condition,omitempty"`
	Fields    map[string]json.RawMessage `json:"fields"`
}

// HookBody is the JSON shape of a webhook intake endpoint. Secret is
// returned once, when the hook is created.
type HookBody struct {
	ID             string `json:"id,omitempty"`
	Name           string `json:"name"`
	JiraDatasource string `json:"jiraDatasource"`
	Secret         string `json:"secret,omitempty"`
	URL            string `json:"url,omitempty"`
}

// EventBody is the JSON shape of a stored ticket event.
type EventBody struct {
	ID         int64              `json:"id"`
	Hook       string             `json:"hook"`
	DeliveryID string             `json:"deliveryId"`
	Kind       string             `json:"kind"`
	IssueKey   string             `json:"issueKey"`
	ReceivedAt time.Time          `json:"receivedAt"`
	Status     string             `json:"status"`
	Outcome    *fieldlink.Outcome `json:"outcome,omitempty"`
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

func datasourceToBody(ds fieldlink.Datasource) DatasourceBody {
	a := ds.Auth
	created, updated := ds.CreatedAt, ds.UpdatedAt
	return DatasourceBody{
		ID:                  ds.ID,
		Name:                ds.Name,
		BaseURL:             ds.BaseURL,
		APIDocumentationURL: ds.APIDocumentationURL,
		TestPath:            ds.TestPath,
		Headers:             ds.Headers,
		TimeoutSeconds:      ds.TimeoutSeconds,
		CreatedAt:           &created,
		UpdatedAt:           &updated,
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
		},
	}
}

// datasourceFromBody builds a datasource from a request. A secret left empty
// keeps the one in previous, so an admin can edit other fields without
// typing the secret again.
func datasourceFromBody(b DatasourceBody, previous *fieldlink.Datasource) fieldlink.Datasource {
	ds := fieldlink.Datasource{
		Name:                b.Name,
		BaseURL:             b.BaseURL,
		APIDocumentationURL: b.APIDocumentationURL,
		TestPath:            b.TestPath,
		Headers:             b.Headers,
		TimeoutSeconds:      b.TimeoutSeconds,
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
		},
	}
	if previous == nil {
		return ds
	}

	ds.ID = previous.ID
	ds.CreatedAt = previous.CreatedAt
	if ds.Auth.Mode == previous.Auth.Mode {
		next, prev := ds.Auth.SecretFields(), previous.Auth.SecretFields()
		for name, value := range next {
			if *value == "" {
				*value = *prev[name]
			}
		}
	}
	return ds
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
		Root:         it.Root,
		Template:     it.Template,
		CacheSeconds: it.CacheSeconds,
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
		Root:         b.Root,
		Template:     b.Template,
		CacheSeconds: b.CacheSeconds,
	}
}

func ruleToBody(r fieldlink.Rule) RuleBody {
	return RuleBody{ID: r.ID, Name: r.Name, Position: r.Position, Condition: r.Condition, Fields: r.Fields}
}

func ruleFromBody(b RuleBody) fieldlink.Rule {
	return fieldlink.Rule{Name: b.Name, Position: b.Position, Condition: b.Condition, Fields: b.Fields}
}

func eventToBody(e fieldlink.Event) EventBody {
	return EventBody{
		ID:         e.ID,
		Hook:       e.HookID,
		DeliveryID: e.DeliveryID,
		Kind:       e.Kind,
		IssueKey:   e.IssueKey,
		ReceivedAt: e.ReceivedAt,
		Status:     string(e.Status),
		Outcome:    e.Outcome,
	}
}
