package config

import (
	"github.com/fieldlink/fieldlink"
)

// newDatasourceRecord returns the datasource as a record, with its secrets
// moved from Auth to Secrets and without its health.
func newDatasourceRecord(ds fieldlink.Datasource) DatasourceRecord {
	a := ds.Auth
	rec := DatasourceRecord{
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
		Auth: AuthRecord{
			Mode:                 a.Mode,
			Username:             a.Username,
			APIKeyName:           a.APIKeyName,
			APIKeyIn:             a.APIKeyIn,
			TokenURL:             a.TokenURL,
			ClientID:             a.ClientID,
			ClientAuthentication: a.ClientAuthentication,
			Scopes:               a.Scopes,
			TokenParams:          a.TokenParams,
			ClientCertificate:    a.ClientCertificate,
			SendX5T:              a.SendX5T,
			TLSClientCertificate: a.TLSClientCertificate,
			SecretExpiresAt:      a.SecretExpiresAt,
		},
		CreatedAt: ds.CreatedAt,
		UpdatedAt: ds.UpdatedAt,
	}

	for name, field := range a.SecretFields() {
		if *field == "" {
			continue
		}
		if rec.Secrets == nil {
			rec.Secrets = map[string]string{}
		}
		rec.Secrets[name] = *field
	}
	return rec
}

// datasource returns the record as a datasource with its secrets in Auth.
// The secrets must be open.
func (rec DatasourceRecord) datasource() fieldlink.Datasource {
	a := rec.Auth
	ds := fieldlink.Datasource{
		ID:                    rec.ID,
		Name:                  rec.Name,
		BaseURL:               rec.BaseURL,
		APIDocumentationURL:   rec.APIDocumentationURL,
		TestPath:              rec.TestPath,
		Headers:               rec.Headers,
		TimeoutSeconds:        rec.TimeoutSeconds,
		ConnectTimeoutSeconds: rec.ConnectTimeoutSeconds,
		CABundle:              rec.CABundle,
		AllowLoopback:         rec.AllowLoopback,
		AllowPrivateNetworks:  rec.AllowPrivateNetworks,
		Auth: fieldlink.Auth{
			Mode:                 a.Mode,
			Username:             a.Username,
			APIKeyName:           a.APIKeyName,
			APIKeyIn:             a.APIKeyIn,
			TokenURL:             a.TokenURL,
			ClientID:             a.ClientID,
			ClientAuthentication: a.ClientAuthentication,
			Scopes:               a.Scopes,
			TokenParams:          a.TokenParams,
			ClientCertificate:    a.ClientCertificate,
			SendX5T:              a.SendX5T,
			TLSClientCertificate: a.TLSClientCertificate,
			SecretExpiresAt:      a.SecretExpiresAt,
		},
		CreatedAt: rec.CreatedAt,
		UpdatedAt: rec.UpdatedAt,
	}

	for name, field := range ds.Auth.SecretFields() {
		*field = rec.Secrets[name]
	}
	return ds
}

func newItemRecord(it fieldlink.Item) ItemRecord {
	rec := ItemRecord{
		ID:         it.ID,
		Name:       it.Name,
		Datasource: it.DatasourceID,
		Type:       it.Type,
		Request: ItemRequestRecord{
			Method:  it.Request.Method,
			Path:    it.Request.Path,
			Headers: it.Request.Headers,
			Body:    it.Request.Body,
		},
		Root:            it.Root,
		Template:        it.Template,
		LabelTemplate:   it.LabelTemplate,
		CacheSeconds:    it.CacheSeconds,
		MaxRows:         it.MaxRows,
		LookupTokenHash: it.LookupTokenHash,
	}
	if it.Paging != (fieldlink.Paging{}) {
		p := PagingRecord(it.Paging)
		rec.Paging = &p
	}
	return rec
}

func (rec ItemRecord) item() fieldlink.Item {
	it := fieldlink.Item{
		ID:           rec.ID,
		Name:         rec.Name,
		DatasourceID: rec.Datasource,
		Type:         rec.Type,
		Request: fieldlink.ItemRequest{
			Method:  rec.Request.Method,
			Path:    rec.Request.Path,
			Headers: rec.Request.Headers,
			Body:    rec.Request.Body,
		},
		Root:            rec.Root,
		Template:        rec.Template,
		LabelTemplate:   rec.LabelTemplate,
		CacheSeconds:    rec.CacheSeconds,
		MaxRows:         rec.MaxRows,
		LookupTokenHash: rec.LookupTokenHash,
	}
	if rec.Paging != nil {
		it.Paging = fieldlink.Paging(*rec.Paging)
	}
	return it
}

func newRuleRecord(r fieldlink.Rule) RuleRecord {
	return RuleRecord(r)
}

func (rec RuleRecord) rule() fieldlink.Rule {
	return fieldlink.Rule(rec)
}

// newHookRecord returns the hook as a record, with its secret moved from
// Secret to Secrets.
func newHookRecord(h fieldlink.Hook) HookRecord {
	rec := HookRecord{
		ID:                  h.ID,
		Name:                h.Name,
		JiraDatasource:      h.JiraDatasourceID,
		ProjectKeys:         h.ProjectKeys,
		RuleSet:             h.RuleSet,
		MatchAll:            h.MatchAll,
		Events:              h.Events,
		EmailFallback:       h.EmailFallback,
		AutomationTokenHash: h.AutomationTokenHash,
	}
	if h.Secret != "" {
		rec.Secrets = map[string]string{hookSecretName: h.Secret}
	}
	return rec
}

// hook returns the record as a hook with its secret in Secret. The secrets
// must be open.
func (rec HookRecord) hook() fieldlink.Hook {
	return fieldlink.Hook{
		ID:                  rec.ID,
		Name:                rec.Name,
		Secret:              rec.Secrets[hookSecretName],
		JiraDatasourceID:    rec.JiraDatasource,
		ProjectKeys:         rec.ProjectKeys,
		RuleSet:             rec.RuleSet,
		MatchAll:            rec.MatchAll,
		EmailFallback:       rec.EmailFallback,
		Events:              rec.Events,
		AutomationTokenHash: rec.AutomationTokenHash,
	}
}
