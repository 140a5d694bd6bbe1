package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/seal"
)

// secretSlot is the secrets of one record of a document, for the loops that
// seal, open and omit them.
type secretSlot struct {
	// kind is bound into the sealed value: "datasource", "hook", "admin"
	// or "token".
	kind string
	id   string
	// label names the record in messages, such as `datasource "Graph"`.
	label string

	secrets *map[string]string
	sealed  *[]byte
}

// secretSlots returns a slot for every record that can carry secrets.
func (d *Document) secretSlots() []secretSlot {
	var slots []secretSlot
	for i := range d.Datasources {
		rec := &d.Datasources[i]
		slots = append(slots, secretSlot{"datasource", rec.ID, fmt.Sprintf("datasource %q", rec.Name), &rec.Secrets, &rec.SealedSecrets})
	}
	for i := range d.Hooks {
		rec := &d.Hooks[i]
		slots = append(slots, secretSlot{"hook", rec.ID, fmt.Sprintf("hook %q", rec.Name), &rec.Secrets, &rec.SealedSecrets})
	}
	for i := range d.Admins {
		rec := &d.Admins[i]
		slots = append(slots, secretSlot{"admin", rec.Username, fmt.Sprintf("admin %q", rec.Username), &rec.Secrets, &rec.SealedSecrets})
	}
	for i := range d.Tokens {
		rec := &d.Tokens[i]
		slots = append(slots, secretSlot{"token", rec.ID, fmt.Sprintf("API token %q", rec.Name), &rec.Secrets, &rec.SealedSecrets})
	}
	return slots
}

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

	for _, slot := range d.secretSlots() {
		if *slot.sealed, err = d.sealRecord(sealer, slot.kind, slot.id, *slot.secrets); err != nil {
			return err
		}
		*slot.secrets = nil
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

	slots := d.secretSlots()
	opened := make([]map[string]string, len(slots))
	for i, slot := range slots {
		if opened[i], err = d.openRecord(sealer, slot, *slot.sealed); err != nil {
			return err
		}
	}

	// The document changes only once every record has opened.
	for i, slot := range slots {
		*slot.secrets, *slot.sealed = opened[i], nil
	}
	d.Secrets = SecretsPlaintext
	return nil
}

// secretNames lists the entries that the secrets of each kind of record may
// have, as SealSecrets and Export write them.
var secretNames = map[string][]string{
	"datasource": slices.Sorted(maps.Keys(new(fieldlink.Auth).SecretFields())),
	"hook":       {hookSecretName},
	"admin":      {adminSecretName},
	"token":      {tokenSecretName},
}

// checkSecretPlacement rejects a secret mode that this package does not
// write, and secrets that the mode would leave unread: clear-text secrets in
// a document whose secrets are sealed or omitted, and sealed secrets in one
// whose secrets are not sealed.
func (d *Document) checkSecretPlacement() error {
	switch d.Secrets {
	case SecretsPlaintext, SecretsSealed, SecretsOmitted:
	default:
		return fieldlink.Errorf(fieldlink.EInvalid, "the document's field secrets is %q: it must be %s, %s or %s, as fieldlink export writes it", d.Secrets, SecretsPlaintext, SecretsSealed, SecretsOmitted)
	}

	for _, slot := range d.secretSlots() {
		if len(*slot.secrets) > 0 && d.Secrets != SecretsPlaintext {
			return fieldlink.Errorf(fieldlink.EInvalid, "%s (%s) field secrets is set, but the document's secrets are %s, so it would be ignored: remove the field, or export again", slot.label, slot.id, d.Secrets)
		}
		if len(*slot.sealed) > 0 && d.Secrets != SecretsSealed {
			return fieldlink.Errorf(fieldlink.EInvalid, "%s (%s) field sealedSecrets is set, but the document's secrets are %s, so it would be ignored: remove the field, or export again", slot.label, slot.id, d.Secrets)
		}
	}
	return nil
}

// checkSecretNames rejects an entry of a record's secrets that the import
// would drop, such as a misspelled "clientsecret". The secrets must be open.
func (d *Document) checkSecretNames() error {
	for _, slot := range d.secretSlots() {
		allowed := secretNames[slot.kind]
		for _, name := range slices.Sorted(maps.Keys(*slot.secrets)) {
			if !slices.Contains(allowed, name) {
				return fieldlink.Errorf(fieldlink.EInvalid, "%s (%s) field secrets has the unknown entry %q: use %s", slot.label, slot.id, name, strings.Join(allowed, ", "))
			}
		}
	}
	return nil
}

// OmitSecrets drops every secret from the document, the password hashes of
// admins and the hashes of API tokens included.
func (d *Document) OmitSecrets() {
	for _, slot := range d.secretSlots() {
		*slot.secrets, *slot.sealed = nil, nil
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

func (d *Document) openRecord(sealer *seal.Sealer, slot secretSlot, sealed []byte) (map[string]string, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	plaintext, err := sealer.Open(sealed, d.associatedData(slot.kind, slot.id))
	if errors.Is(err, seal.ErrWrongKey) {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s (%s) field sealedSecrets: sealed with another transport key: give the key file that the export wrote", slot.label, slot.id)
	}
	if err != nil {
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s (%s) field sealedSecrets does not open with the transport key (%v): the value was changed or belongs to another document or record, so export again", slot.label, slot.id, err)
	}

	var secrets map[string]string
	if err := json.Unmarshal(plaintext, &secrets); err != nil {
		// The JSON error could quote the plaintext, so it is not wrapped.
		return nil, fieldlink.Errorf(fieldlink.EInvalid, "%s (%s) field sealedSecrets opens to something other than a JSON object of strings: export again", slot.label, slot.id)
	}
	return secrets, nil
}

// associatedData binds a sealed value to the document and the record.
func (d *Document) associatedData(kind, id string) []byte {
	return []byte("fieldlink export " + d.ID + " " + kind + ":" + id)
}
