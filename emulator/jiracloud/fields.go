package jiracloud

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Field IDs of the seeded project's custom fields.
const (
	FieldRequestType    = "customfield_10010"
	FieldSupportGroup   = "customfield_10050"
	FieldLocationQueue  = "customfield_10051"
	FieldReporterOffice = "customfield_10052"
)

// Jira's custom field type keys.
const (
	typeSelect    = "com.atlassian.jira.plugin.system.customfieldtypes:select"
	typeTextField = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
)

// maxTextLength is Jira's limit for a single-line text field and a summary.
const maxTextLength = 255

// fieldKind is the way a field's value is validated and stored.
type fieldKind int

const (
	kindSummary fieldKind = iota
	kindLabels
	kindText
	kindSelect
)

// field is a field of the seeded project.
type field struct {
	id      string
	name    string
	kind    fieldKind
	options []option

	// offScreen reports whether the field is left off the edit screen, so
	// that Jira lists it in no editmeta and rejects edits of it.
	offScreen bool
}

// option is one choice of a select field.
type option struct {
	id    string
	value string
}

// projectFields returns the fields of the seeded project in edit screen
// order. Reporter office is off the screen when officeOffScreen is set.
func projectFields(officeOffScreen bool) []*field {
	return []*field{
		{id: "summary", name: "Summary", kind: kindSummary},
		{id: "labels", name: "Labels", kind: kindLabels},
		{id: FieldSupportGroup, name: "Support group", kind: kindSelect},
		{id: FieldLocationQueue, name: "Location queue", kind: kindSelect},
		{id: FieldReporterOffice, name: "Reporter office", kind: kindText, offScreen: officeOffScreen},
	}
}

// Jira's messages for rejected field values. Jira Cloud words them this way
// in 400 responses to PUT /rest/api/3/issue/{issueIdOrKey}.
func msgCannotBeSet(id string) string {
	return fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", id)
}

const (
	// NOTE: Jira Cloud is reported to give this message for a select value
	// that is not an object with "id" or "value", such as a bare string.
	// It was not checked against a live site.
	msgNotOptionObject = "Could not find valid 'id' or 'value' in the Parent Option object."
	msgNotString       = "Operation value must be a string"
	msgNotArray        = "data was not an array"
	msgSummaryMissing  = "You must specify a summary of the issue."
	msgSummaryTooLong  = "Summary must be less than 255 characters."
	msgTextTooLong     = "The entered text is too long. It exceeds the allowed limit of 255 characters."
)

// parse checks raw, a value from the "fields" object or a "set" operation,
// and returns the value to store. A non-empty message is Jira's error for the
// field.
func (f *field) parse(raw json.RawMessage) (value any, message string) {
	if isNull(raw) {
		if f.kind == kindSummary {
			return nil, msgSummaryMissing
		}
		return nil, ""
	}

	switch f.kind {
	case kindSummary:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, msgNotString
		}
		if s == "" {
			return nil, msgSummaryMissing
		}
		if len([]rune(s)) > maxTextLength {
			return nil, msgSummaryTooLong
		}
		return s, ""

	case kindText:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, msgNotString
		}
		if len([]rune(s)) > maxTextLength {
			return nil, msgTextTooLong
		}
		return s, ""

	case kindLabels:
		var labels []string
		if err := json.Unmarshal(raw, &labels); err != nil {
			return nil, msgNotArray
		}
		return labels, ""

	default:
		return f.parseOption(raw)
	}
}

// parseOption resolves a select value given as {"id": …} or {"value": …}.
func (f *field) parseOption(raw json.RawMessage) (any, string) {
	var ref map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ref); err != nil || ref == nil {
		return nil, msgNotOptionObject
	}

	if idRaw, ok := ref["id"]; ok && !isNull(idRaw) {
		id := scalarString(idRaw)
		for _, o := range f.options {
			if o.id == id {
				return o, ""
			}
		}
		return nil, fmt.Sprintf("Option id '%s' is not valid", id)
	}

	var value string
	if err := json.Unmarshal(ref["value"], &value); err != nil {
		return nil, msgNotOptionObject
	}
	for _, o := range f.options {
		if o.value == value {
			return o, ""
		}
	}
	return nil, fmt.Sprintf("Option value '%s' is not valid", value)
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// scalarString returns a JSON string's text or a number's digits.
func scalarString(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return string(raw)
}

// optionID returns the ID Jira would give the n-th option created on a site.
func optionID(n int) string {
	return strconv.Itoa(10100 + n)
}
