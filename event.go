package fieldlink

import "time"

// EventStatus is the processing state of a ticket event.
type EventStatus string

// Event statuses.
const (
	EventPending   EventStatus = "pending"
	EventProcessed EventStatus = "processed"
	// EventFailed is a dead letter: processing failed for good, or after
	// its last retry. Replaying it makes it pending again.
	EventFailed EventStatus = "failed"
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

// Outcome is the record of what processing a ticket event did, in words an
// admin reads.
type Outcome struct {
	IssueKey string `json:"issueKey"`
	Reporter string `json:"reporter"`

	// Items maps each evaluated item's name to its text ("" when none).
	Items map[string]string `json:"items"`

	// Rule is the name of the rule that matched, empty when none did.
	Rule string `json:"rule,omitempty"`

	// FieldsWritten lists the field IDs set on the issue.
	FieldsWritten []string `json:"fieldsWritten,omitempty"`

	// Reason explains why no fields were written, or what failed.
	Reason string `json:"reason,omitempty"`

	// Rules lists every rule whose actions ran, for a hook that runs all
	// matching rules; Rule is then the first of them.
	Rules []string `json:"rules,omitempty"`
	// LabelsAdded, Commented and ParticipantsAdded record the other
	// actions that ran.
	LabelsAdded       []string `json:"labelsAdded,omitempty"`
	Commented         bool     `json:"commented,omitempty"`
	ParticipantsAdded []string `json:"participantsAdded,omitempty"`
	// Attempts is how many times the event was processed.
	Attempts int `json:"attempts,omitempty"`

	// Writing reports whether a write to Jira started for the event. A
	// retry of an event that is still pending with Writing set reads the
	// issue first and skips the writes that already landed, so a crash
	// between the write and the recorded outcome does not write twice.
	Writing bool `json:"writing,omitempty"`
}

// EventFilter selects stored events; a zero field matches every event.
// Events come newest first.
type EventFilter struct {
	Status   EventStatus
	IssueKey string
	HookID   string

	// BeforeID pages backwards: only events with a smaller ID match.
	BeforeID int64

	// Limit is the maximum number of events returned. Zero means the
	// store's default.
	Limit int
}
