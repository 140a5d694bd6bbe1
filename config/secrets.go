package config

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/seal"
)

// SealSecrets seals the plaintext secrets of every record with the
// transport key (32 bytes), bound to the document ID and to the record's kind
// and ID, and sets Secrets to SecretsSealed.
func (d *Document) SealSecrets(transportKey []byte) error {
	if d.Secrets != SecretsPlaintext {
		return fmt.Errorf("seal secrets: the document's secrets are %s, not plaintext", d.Secrets)
	}
	sealer, err := seal.New(transportKey)
	if err != nil {
		return fmt.Errorf("seal secrets: transport key: %w", err)
	}

	for i := range d.Datasources {
		rec := &d.Datasources[i]
		if rec.SealedSecrets, err = d.sealRecord(sealer, "datasource", rec.ID, rec.Secrets); err != nil {
			return err
		}
		rec.Secrets = nil
	}
	for i := range d.Hooks {
		rec := &d.Hooks[i]
		if rec.SealedSecrets, err = d.sealRecord(sealer, "hook", rec.ID, rec.Secrets); err != nil {
			return err
		}
		rec.Secrets = nil
	}

	d.Secrets = SecretsSealed
	d.TransportKeyID = sealer.KeyID()
	return nil
}

// OpenSecrets opens the sealed secrets of every record with the transport
// key and sets Secrets to SecretsPlaintext. A document whose secrets are
// plaintext or omitted is left as it is, and the key may then be nil.
func (d *Document) OpenSecrets(transportKey []byte) error {
	if d.Secrets != SecretsSealed {
		return nil
	}
	if transportKey == nil {
		return fieldlink.Errorf(fieldlink.EInvalid, "the document's secrets are sealed with transport key ID %s, but no transport key was given: give the key file that the export wrote", d.TransportKeyID)
	}
	sealer, err := seal.New(transportKey)
	if err != nil {
		return fmt.Errorf("open secrets: transport key: %w", err)
	}
	if d.TransportKeyID != "" && sealer.KeyID() != d.TransportKeyID {
		return fieldlink.Errorf(fieldlink.EInvalid, "the document's secrets are sealed with transport key ID %s, but the given key has ID %s: give the key file that the export wrote", d.TransportKeyID, sealer.KeyID())
	}

	opened := make([]map[string]string, len(d.Datasources))
	for i, rec := range d.Datasources {
		if opened[i], err = d.openRecord(sealer, "datasource", rec.ID, rec.Name, rec.SealedSecrets); err != nil {
			return err
		}
	}
	openedHooks := make([]map[string]string, len(d.Hooks))
	for i, rec := range d.Hooks {
		if openedHooks[i], err = d.openRecord(sealer, "hook", rec.ID, rec.Name, rec.SealedSecrets); err != nil {
			return err
		}
	}

	// The document changes only once every record has opened.
	for i := range d.Datasources {
		d.Datasources[i].Secrets, d.Datasources[i].SealedSecrets = opened[i], nil
	}
	for i := range d.Hooks {
		d.Hooks[i].Secrets, d.Hooks[i].SealedSecrets = openedHooks[i], nil
	}
	d.Secrets = SecretsPlaintext
	return nil
}

// OmitSecrets drops every secret from the document.
func (d *Document) OmitSecrets() {
	for i := range d.Datasources {
		d.Datasources[i].Secrets, d.Datasources[i].SealedSecrets = nil, nil
	}
	for i := range d.Hooks {
		d.Hooks[i].Secrets, d.Hooks[i].SealedSecrets = nil, nil
	}
	d.Secrets = SecretsOmitted
	d.TransportKeyID = ""
}

func (d *Document) sealRecord(sealer *seal.Sealer, kind, id string, secrets map[string]string) ([]byte, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	plaintext, err := json.Marshal(secrets)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s secrets: %w", kind, id, err)
	}
	sealed, err := sealer.Seal(plaintext, d.associatedData(kind, id))
	if err != nil {
		return nil, fmt.Errorf("seal %s %s secrets: %w", kind, id, err)
	}
	return sealed, nil
}

func (d *Document) openRecord(sealer *seal.Sealer, kind, id, name string, sealed []byte) (map[string]string, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	plaintext, err := sealer.Open(sealed, d.associatedData(kind, id))
	if errors.Is(err, seal.ErrWrongKey) {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s %q (%s) field sealedSecrets: sealed with another transport key: give the key file that the export wrote", kind, name, id)
	}
	if err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s %q (%s) field sealedSecrets does not open with the transport key (%v): the value was changed or belongs to another document or record, so export again", kind, name, id, err)
	}

	var secrets map[string]string
	if err := json.Unmarshal(plaintext, &secrets); err != nil {
		// The JSON error could quote the plaintext, so it is not wrapped.
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s %q (%s) field sealedSecrets opens to something other than a JSON object of strings: export again", kind, name, id)
	}
	return secrets, nil
}

// associatedData binds a sealed value to the document and the record.
func (d *Document) associatedData(kind, id string) []byte {
	return []byte("fieldlink export " + d.ID + " " + kind + ":" + id)
}
