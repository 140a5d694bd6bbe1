package fieldlink

import "time"

// EventStatus is where a ticket event is in its processing.
type EventStatus string

// Event statuses.
const (
	EventPending   EventStatus = "pending"
	EventProcessed EventStatus = "processed"
	EventFailed    EventStatus = "failed"
)

// Event is one Jira webhook delivery, stored before it is acknowledged.
type Event struct {
	ID     int64
	HookID string

	// DeliveryID identifies the delivery for deduplication: Jira's
	// X-Atlassian-Webhook-Identifier, or the issue ID and event timestamp.
	DeliveryID string

	Kind       string
	IssueKey   string
	Payload    []byte
	ReceivedAt time.Time
	Status     EventStatus
	Outcome    *Outcome
}

// Outcome says what processing a ticket event did, in words an admin reads.
type Outcome struct {
	IssueKey string `json:"issueKey"`
	Reporter string `json:"reporter"`

	// Items maps each evaluated item's name to its text ("" when none).
	Items map[string]string `json:"items"`

	// Rule is the name of the rule that matched, empty when none did.
	Rule string `json:"rule,omitempty"`

	// FieldsWritten lists the field IDs set on the issue.
	FieldsWritten []string `json:"fieldsWritten,omitempty"`

	// Reason says why no fields were written, or what failed.
	Reason string `json:"reason,omitempty"`
}
