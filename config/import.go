package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
)

// ImportOptions configure Import. The zero value imports a document whose
// secrets are plaintext or omitted into stores that hold no configuration.
type ImportOptions struct {
	// TransportKey opens a document whose secrets are sealed.
	TransportKey []byte

	// Replace deletes the configuration that the stores hold before the
	// import, instead of rejecting the import.
	Replace bool
}

// Summary counts what Import wrote.
type Summary struct {
	Datasources int
	Items       int
	Rules       int
	Hooks       int

	// Replaced counts the records that Replace deleted.
	Replaced int

	// SecretsOmitted reports whether the document carried no secrets, so
	// the admin must enter them again.
	SecretsOmitted bool

	// IDs maps each record ID of the document to the ID the stores gave
	// the record. Hook URLs contain the hook ID, so Jira must be given the
	// new URL of every hook whose ID changed.
	IDs map[string]string
}

// Import writes the document's records into stores. It checks the whole
// document first (format version, secrets, references) and the stores
// second, and only then writes. When a write fails it deletes what it
// wrote, so the stores are left as they were.
func Import(ctx context.Context, stores Stores, doc Document, opts ImportOptions) (Summary, error) {
	if doc.Format > FormatVersion {
		return Summary{}, fieldlink.Errorf(fieldlink.EInvalid, "the document has format version %d, but this fieldlink reads versions up to %d: import it with a newer fieldlink", doc.Format, FormatVersion)
	}
	if doc.Format < 1 {
		return Summary{}, fieldlink.Errorf(fieldlink.EInvalid, "the document has no valid format version (field format is %d): give a file written by fieldlink export", doc.Format)
	}

	// OpenSecrets writes into the record slices, which the caller shares.
	doc.Datasources = slices.Clone(doc.Datasources)
	doc.Hooks = slices.Clone(doc.Hooks)

	omitted := doc.Secrets == SecretsOmitted
	if err := doc.OpenSecrets(opts.TransportKey); err != nil {
		return Summary{}, err
	}
	if err := validate(doc); err != nil {
		return Summary{}, err
	}

	existing, err := Export(ctx, stores)
	if err != nil {
		return Summary{}, fmt.Errorf("read the configuration before the import: %w", err)
	}
	if names := describe(existing); names != "" && !opts.Replace {
		return Summary{}, fieldlink.Errorf(fieldlink.EConflict, "the target already contains configuration (%s): import into an empty data folder, or give --replace to delete it first", names)
	}

	var replaced int
	if opts.Replace {
		if replaced, err = deleteAll(ctx, stores, existing); err != nil {
			// NOTE: restored records get new IDs, because the stores assign IDs.
			if _, restoreErr := write(ctx, stores, existing); restoreErr != nil {
				return Summary{}, fmt.Errorf("delete the existing configuration: %w; restoring it failed too: %v", err, restoreErr)
			}
			return Summary{}, fmt.Errorf("delete the existing configuration (it was restored): %w", err)
		}
	}

	ids, err := write(ctx, stores, doc)
	if err != nil {
		if opts.Replace {
			if _, restoreErr := write(ctx, stores, existing); restoreErr != nil {
				return Summary{}, fmt.Errorf("%w; restoring the replaced configuration failed too: %v", err, restoreErr)
			}
		}
		return Summary{}, err
	}

	return Summary{
		Datasources:    len(doc.Datasources),
		Items:          len(doc.Items),
		Rules:          len(doc.Rules),
		Hooks:          len(doc.Hooks),
		Replaced:       replaced,
		SecretsOmitted: omitted,
		IDs:            ids,
	}, nil
}

// validate checks the records of the document before anything is written.
func validate(doc Document) error {
	datasources := map[string]bool{}
	for i, rec := range doc.Datasources {
		if rec.ID == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "datasource %d (%q) field ID is missing: give a file written by fieldlink export", i+1, rec.Name)
		}
		if strings.TrimSpace(rec.Name) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "datasource %s field Name is missing: give the datasource a name", rec.ID)
		}
		if datasources[rec.ID] {
			return fieldlink.Errorf(fieldlink.EInvalid, "datasource %q field ID %s is used by an earlier datasource too: give each datasource its own ID", rec.Name, rec.ID)
		}
		datasources[rec.ID] = true
	}

	for _, it := range doc.Items {
		if strings.TrimSpace(it.Name) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "item %s field Name is missing: give the item a name", it.ID)
		}
		if !datasources[it.DatasourceID] {
			return fieldlink.Errorf(fieldlink.EInvalid, "item %q field DatasourceID names datasource %q, which the document does not contain: add that datasource to the document or point the item at one of its datasources", it.Name, it.DatasourceID)
		}
	}

	for _, h := range doc.Hooks {
		if strings.TrimSpace(h.Name) == "" {
			return fieldlink.Errorf(fieldlink.EInvalid, "hook %s field Name is missing: give the hook a name", h.ID)
		}
		if h.JiraDatasourceID != "" && !datasources[h.JiraDatasourceID] {
			return fieldlink.Errorf(fieldlink.EInvalid, "hook %q field JiraDatasourceID names datasource %q, which the document does not contain: add that datasource to the document or point the hook at one of its datasources", h.Name, h.JiraDatasourceID)
		}
	}
	return nil
}

// write creates the document's records, datasources first so items and
// hooks can refer to them, and returns the map from document IDs to store
// IDs. When a create fails it deletes the records it created.
func write(ctx context.Context, stores Stores, doc Document) (ids map[string]string, err error) {
	// NOTE: the store interfaces assign IDs on create, so records get new
	// IDs and hook URLs change. Keeping IDs needs a create-with-ID store method.
	ids = map[string]string{}
	var created Document
	defer func() {
		if err == nil {
			return
		}
		if _, undoErr := deleteAll(context.WithoutCancel(ctx), stores, created); undoErr != nil {
			err = fmt.Errorf("%w; deleting the records written before the failure failed too, so delete them by hand: %v", err, undoErr)
		}
	}()

	for _, rec := range doc.Datasources {
		ds := rec.datasource()
		if err := stores.Datasources.CreateDatasource(ctx, &ds); err != nil {
			return nil, fmt.Errorf("import datasource %q (%s): %w", rec.Name, rec.ID, err)
		}
		ids[rec.ID] = ds.ID
		created.Datasources = append(created.Datasources, DatasourceRecord{Datasource: ds})
	}

	for _, it := range doc.Items {
		oldID := it.ID
		it.DatasourceID = ids[it.DatasourceID]
		if err := stores.Items.CreateItem(ctx, &it); err != nil {
			return nil, fmt.Errorf("import item %q (%s): %w", it.Name, oldID, err)
		}
		ids[oldID] = it.ID
		created.Items = append(created.Items, it)
	}

	for _, r := range doc.Rules {
		oldID := r.ID
		if err := stores.Rules.CreateRule(ctx, &r); err != nil {
			return nil, fmt.Errorf("import rule %q (%s): %w", r.Name, oldID, err)
		}
		ids[oldID] = r.ID
		created.Rules = append(created.Rules, r)
	}

	for _, rec := range doc.Hooks {
		h := rec.hook()
		if h.JiraDatasourceID != "" {
			h.JiraDatasourceID = ids[h.JiraDatasourceID]
		}
		if err := stores.Hooks.CreateHook(ctx, &h); err != nil {
			return nil, fmt.Errorf("import hook %q (%s): %w", rec.Name, rec.ID, err)
		}
		ids[rec.ID] = h.ID
		created.Hooks = append(created.Hooks, HookRecord{Hook: h})
	}
	return ids, nil
}

// deleteAll deletes the document's records from the stores, hooks and items
// before the datasources they use, and returns how many it deleted. It goes
// on after a failed delete and returns the failures joined.
func deleteAll(ctx context.Context, stores Stores, doc Document) (int, error) {
	var (
		count int
		errs  []error
	)
	try := func(kind, id string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("delete %s %s: %w", kind, id, err))
			return
		}
		count++
	}

	for _, h := range doc.Hooks {
		try("hook", h.ID, stores.Hooks.DeleteHook(ctx, h.ID))
	}
	for _, r := range doc.Rules {
		try("rule", r.ID, stores.Rules.DeleteRule(ctx, r.ID))
	}
	for _, it := range doc.Items {
		try("item", it.ID, stores.Items.DeleteItem(ctx, it.ID))
	}
	for _, ds := range doc.Datasources {
		try("datasource", ds.ID, stores.Datasources.DeleteDatasource(ctx, ds.ID))
	}
	return count, errors.Join(errs...)
}

// describe names the records a document holds, as "2 datasources
// ("Graph", "Jira"), 1 item ("Office")", or returns "" when it holds none.
func describe(doc Document) string {
	var parts []string
	add := func(noun string, names []string) {
		if len(names) == 0 {
			return
		}
		if len(names) != 1 {
			noun += "s"
		}
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = fmt.Sprintf("%q", n)
		}
		parts = append(parts, fmt.Sprintf("%d %s (%s)", len(names), noun, strings.Join(quoted, ", ")))
	}

	var names []string
	for _, ds := range doc.Datasources {
		names = append(names, ds.Name)
	}
	add("datasource", names)

	names = nil
	for _, it := range doc.Items {
		names = append(names, it.Name)
	}
	add("item", names)

	names = nil
	for _, r := range doc.Rules {
		names = append(names, r.Name)
	}
	add("rule", names)

	names = nil
	for _, h := range doc.Hooks {
		names = append(names, h.Name)
	}
	add("hook", names)
	return strings.Join(parts, ", ")
}
