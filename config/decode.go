package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fieldlink/fieldlink"
)

// DecodeDocument decodes a document written by Export. It reads format
// version 3, rejecting a field that version does not have, and versions 1
// and 2, whose record fields carry the Go names of the domain types (such as
// BaseURL and DatasourceID). It rejects a document of a newer version,
// which only a newer fieldlink can import.
func DecodeDocument(data []byte) (Document, error) {
	var head struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Document{}, fmt.Errorf("the file is not a JSON document written by fieldlink export: %w", err)
	}
	if err := checkFormat(head.Format); err != nil {
		return Document{}, err
	}

	if head.Format < 3 {
		return decodeGoNamedDocument(data)
	}

	var doc Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Document{}, fieldlink.Errorf(fieldlink.EInvalid, "the document does not decode as format version %d: %v: give a file written by fieldlink export, or export again", head.Format, err)
	}
	return doc, nil
}

// checkFormat rejects a format version that this package does not read.
func checkFormat(format int) error {
	if format > FormatVersion {
		return fieldlink.Errorf(fieldlink.EInvalid, "the document has format version %d, but this fieldlink reads versions up to %d: import it with a newer fieldlink", format, FormatVersion)
	}
	if format < 1 {
		return fieldlink.Errorf(fieldlink.EInvalid, "the document has no valid format version (field format is %d): give a file written by fieldlink export", format)
	}
	return nil
}

// goNamedDocument is a document of format version 1 or 2, whose records
// are the domain types with their Go field names. The document's own
// fields, the admins and the tokens were named as they are now.
type goNamedDocument struct {
	Format         int        `json:"format"`
	ID             string     `json:"id"`
	ExportedAt     time.Time  `json:"exportedAt"`
	Secrets        SecretMode `json:"secrets"`
	TransportKeyID string     `json:"transportKeyId"`

	Datasources []struct {
		fieldlink.Datasource
		Secrets       map[string]string `json:"secrets"`
		SealedSecrets []byte            `json:"sealedSecrets"`
	} `json:"datasources"`
	Items []fieldlink.Item `json:"items"`
	Rules []fieldlink.Rule `json:"rules"`
	Hooks []struct {
		fieldlink.Hook
		Secrets       map[string]string `json:"secrets"`
		SealedSecrets []byte            `json:"sealedSecrets"`
	} `json:"hooks"`
	Admins []AdminRecord `json:"admins"`
	Tokens []TokenRecord `json:"tokens"`
}

// decodeGoNamedDocument decodes a document of format version 1 or 2 into
// the records of the current version. The sealed secrets stay as they are:
// they are bound to the document ID and to each record's kind and ID, which
// do not change. The datasources' health is dropped.
func decodeGoNamedDocument(data []byte) (Document, error) {
	var old goNamedDocument
	if err := json.Unmarshal(data, &old); err != nil {
		return Document{}, fieldlink.Errorf(fieldlink.EInvalid, "the document does not decode as format version %d: %v: give a file written by fieldlink export, or export again", old.Format, err)
	}

	doc := Document{
		Format:         old.Format,
		ID:             old.ID,
		ExportedAt:     old.ExportedAt,
		Secrets:        old.Secrets,
		TransportKeyID: old.TransportKeyID,
		Admins:         old.Admins,
		Tokens:         old.Tokens,
	}
	for _, ds := range old.Datasources {
		rec := newDatasourceRecord(ds.Datasource)
		rec.Secrets, rec.SealedSecrets = ds.Secrets, ds.SealedSecrets
		doc.Datasources = append(doc.Datasources, rec)
	}
	for _, it := range old.Items {
		doc.Items = append(doc.Items, newItemRecord(it))
	}
	for _, r := range old.Rules {
		doc.Rules = append(doc.Rules, newRuleRecord(r))
	}
	for _, h := range old.Hooks {
		rec := newHookRecord(h.Hook)
		rec.Secrets, rec.SealedSecrets = h.Secrets, h.SealedSecrets
		doc.Hooks = append(doc.Hooks, rec)
	}
	return doc, nil
}
