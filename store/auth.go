package store

import (
	"fmt"

	"github.com/fieldlink/fieldlink"
)

// authColumn is the JSON of the auth column: every non-secret field of
// fieldlink.Auth. The secret fields go to auth_sealed.
type authColumn struct {
	Mode                 fieldlink.AuthMode `json:"mode,omitempty"`
	Username             string             `json:"username,omitempty"`
	APIKeyName           string             `json:"apiKeyName,omitempty"`
	APIKeyIn             string             `json:"apiKeyIn,omitempty"`
	TokenURL             string             `json:"tokenUrl,omitempty"`
	ClientID             string             `json:"clientId,omitempty"`
	ClientAuthentication string             `json:"clientAuthentication,omitempty"`
	Scopes               []string           `json:"scopes,omitempty"`
	TokenParams          map[string]string  `json:"tokenParams,omitempty"`
	ClientCertificate    string             `json:"clientCertificate,omitempty"`
	SendX5T              bool               `json:"sendX5T,omitempty"`
	TLSClientCertificate string             `json:"tlsClientCertificate,omitempty"`

	// SecretExpiresAt is in the layout of the time columns, and empty for
	// the zero time.
	SecretExpiresAt string `json:"secretExpiresAt,omitempty"`
}

// newAuthColumn copies the non-secret fields of a.
func newAuthColumn(a fieldlink.Auth) authColumn {
	c := authColumn{
		Mode:                 a.Mode,
		Username:             a.Username,
		APIKeyName:           a.APIKeyName,
		APIKeyIn:             a.APIKeyIn,
		TokenURL:             a.TokenURL,
		ClientID:             a.ClientID,
		ClientAuthentication: a.ClientAuthentication,
		Scopes:               a.Scopes,
		TokenParams:          nilIfEmptyMap(a.TokenParams),
		ClientCertificate:    a.ClientCertificate,
		SendX5T:              a.SendX5T,
		TLSClientCertificate: a.TLSClientCertificate,
	}
	if !a.SecretExpiresAt.IsZero() {
		c.SecretExpiresAt = formatTime(a.SecretExpiresAt)
	}
	return c
}

// auth returns the non-secret fields as a fieldlink.Auth, with empty
// collections as nil.
func (c authColumn) auth() (fieldlink.Auth, error) {
	a := fieldlink.Auth{
		Mode:                 c.Mode,
		Username:             c.Username,
		APIKeyName:           c.APIKeyName,
		APIKeyIn:             c.APIKeyIn,
		TokenURL:             c.TokenURL,
		ClientID:             c.ClientID,
		ClientAuthentication: c.ClientAuthentication,
		Scopes:               nilIfEmptySlice(c.Scopes),
		TokenParams:          nilIfEmptyMap(c.TokenParams),
		ClientCertificate:    c.ClientCertificate,
		SendX5T:              c.SendX5T,
		TLSClientCertificate: c.TLSClientCertificate,
	}

	if c.SecretExpiresAt != "" {
		expiresAt, err := parseTime(c.SecretExpiresAt)
		if err != nil {
			return fieldlink.Auth{}, fmt.Errorf("secretExpiresAt: %w", err)
		}
		a.SecretExpiresAt = expiresAt
	}
	return a, nil
}
