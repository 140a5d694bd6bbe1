package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// auditDetails gives each action's detail, with %s for the quoted name of
// the changed record. A route that replaces a record's token writes
// "rotated" instead of "created", and a datasource update names the secrets
// it set, rotated or removed.
var auditDetails = map[string]string{
	"datasource.create":            "created datasource %s",
	"datasource.update":            "updated datasource %s",
	"datasource.delete":            "deleted datasource %s",
	"item.create":                  "created item %s",
	"item.update":                  "updated item %s",
	"item.delete":                  "deleted item %s",
	"item.lookup-token.create":     "created the lookup token of item %s",
	"item.lookup-token.delete":     "removed the lookup token of item %s",
	"rule.create":                  "created rule %s",
	"rule.update":                  "updated rule %s",
	"rule.delete":                  "deleted rule %s",
	"hook.create":                  "created hook %s",
	"hook.update":                  "updated hook %s",
	"hook.delete":                  "deleted hook %s",
	"hook.secret.rotate":           "rotated the secret of hook %s",
	"hook.automation-token.create": "created the automation token of hook %s",
	"hook.automation-token.delete": "removed the automation token of hook %s",
	"token.create":                 "created API token %s",
	"token.revoke":                 "revoked API token %s",
	"session.create":               "signed in with a password",
}

// rotatedDetails replace the detail of a token route whose record already
// had a token, which the route replaced.
var rotatedDetails = map[string]string{
	"item.lookup-token.create":     "rotated the lookup token of item %s",
	"hook.automation-token.create": "rotated the automation token of hook %s",
}

// secretNames names each datasource secret field of fieldlink.Auth's
// SecretFields in audit details, in the order details list them.
var secretNames = []struct{ field, name string }{
	{"password", "password"},
	{"token", "bearer token"},
	{"apiKeyValue", "API key"},
	{"clientSecret", "client secret"},
	{"clientPrivateKey", "client private key"},
	{"tlsClientKey", "TLS client key"},
}

// auditBefore is the record a route changes, as it was before the change,
// so the audit entry can name a deleted record and describe the change.
type auditBefore struct {
	name string
	// datasource is the whole datasource, secrets included, for comparing
	// with the one the route saved. It never leaves this package.
	datasource *fieldlink.Datasource
	// hasToken reports whether the item had a lookup token or the hook an
	// automation token.
	hasToken bool
}

// auditSnapshot reads the record that an audited route with an {id} is
// about to change. It returns the zero value for other routes and for a
// record it cannot read, whose route then fails on its own.
func (s *Server) auditSnapshot(r *http.Request) auditBefore {
	action, ok := auditActions[r.Pattern]
	id := r.PathValue("id")
	if !ok || id == "" || s.opts.Store == nil {
		return auditBefore{}
	}

	ctx := r.Context()
	kind, _, _ := strings.Cut(action, ".")
	switch kind {
	case "datasource":
		if ds, err := s.opts.Store.FindDatasource(ctx, id); err == nil {
			return auditBefore{name: ds.Name, datasource: &ds}
		}
	case "item":
		if it, err := s.opts.Store.FindItem(ctx, id); err == nil {
			return auditBefore{name: it.Name, hasToken: it.LookupTokenHash != ""}
		}
	case "rule":
		if rule, err := s.opts.Store.FindRule(ctx, id); err == nil {
			return auditBefore{name: rule.Name}
		}
	case "hook":
		if h, err := s.opts.Store.FindHook(ctx, id); err == nil {
			return auditBefore{name: h.Name, hasToken: h.AutomationTokenHash != ""}
		}
	}
	return auditBefore{}
}

// describeChange returns the target and the detail of a successful change
// made by an audited route.
func (s *Server) describeChange(r *http.Request, action string, rec *statusRecorder, before auditBefore) (target, detail string) {
	target = r.PathValue("id")
	name := before.name

	// Creations and updates return the record, with its new ID and name.
	var saved struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if rec.keep && json.Unmarshal(rec.body.Bytes(), &saved) == nil {
		if saved.ID != "" && target == "" {
			target = saved.ID
		}
		if saved.Name != "" {
			name = saved.Name
		}
	}
	if name == "" {
		name = target
	}

	if action == "datasource.update" && before.datasource != nil {
		return target, s.describeDatasourceUpdate(r.Context(), *before.datasource, name)
	}
	format := auditDetails[action]
	if rotated, ok := rotatedDetails[action]; ok && before.hasToken {
		format = rotated
	}
	return target, fmt.Sprintf(format, quoteName(name))
}

// describeDatasourceUpdate compares a datasource with the one now stored
// and returns a detail that names the secrets the update set, rotated or
// removed, and whether it changed other settings. It compares secret values
// in memory only.
func (s *Server) describeDatasourceUpdate(ctx context.Context, before fieldlink.Datasource, name string) string {
	quoted := quoteName(name)
	after, err := s.opts.Store.FindDatasource(ctx, before.ID)
	if err != nil {
		s.log.Error("read datasource for the audit log", "datasource", before.ID, "error", err)
		return "updated datasource " + quoted
	}

	var changes []string
	beforeSecrets, afterSecrets := before.Auth.SecretFields(), after.Auth.SecretFields()
	for _, secret := range secretNames {
		old, current := *beforeSecrets[secret.field], *afterSecrets[secret.field]
		switch {
		case old == current:
		case old == "":
			changes = append(changes, "set the "+secret.name)
		case current == "":
			changes = append(changes, "removed the "+secret.name)
		default:
			changes = append(changes, "rotated the "+secret.name)
		}
	}
	settingsChanged := !sameSettings(withoutSecrets(before), withoutSecrets(after))

	switch {
	case !settingsChanged && len(changes) == 0:
		return "saved datasource " + quoted + " without changes"
	case !settingsChanged && len(changes) == 1:
		return changes[0] + " of datasource " + quoted
	case len(changes) == 0:
		return "updated datasource " + quoted
	case !settingsChanged:
		return "updated the secrets of datasource " + quoted + ": " + strings.Join(changes, ", ")
	}
	return "updated datasource " + quoted + " and its secrets: " + strings.Join(changes, ", ")
}

// withoutSecrets returns ds with every secret field empty, to compare the
// other settings.
func withoutSecrets(ds fieldlink.Datasource) fieldlink.Datasource {
	for _, field := range ds.Auth.SecretFields() {
		*field = ""
	}
	return ds
}

// quoteName quotes a record's name for an audit detail.
func quoteName(name string) string {
	return fmt.Sprintf("%q", name)
}
