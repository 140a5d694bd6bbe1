package fieldlink

// ItemType says how an item's values reach a ticket.
type ItemType string

// Item types.
const (
	ItemReadOnly    ItemType = "read-only"
	ItemSelect      ItemType = "select"
	ItemMultiSelect ItemType = "multi-select"
)

// Item is a connected item: a templated request to a datasource whose JSON
// result becomes values on a ticket.
type Item struct {
	ID           string
	Name         string
	DatasourceID string
	Type         ItemType
	Request      ItemRequest

	// Root is an RFC 9535 JSONPath selecting the rows of the response.
	// Empty means the whole response is the one row.
	Root string

	// Template is rendered once per selected row, for example
	// "${row.officeLocation}".
	Template string

	// CacheSeconds is how long a result is reused for the same rendered
	// request. Zero disables caching.
	CacheSeconds int
}

// ItemRequest is the request template of an item. Path (with its query),
// header values and Body may contain ${…} placeholders.
type ItemRequest struct {
	Method  string
	Path    string
	Headers map[string]string
	Body    string
}

// ItemResult is the outcome of evaluating an item.
type ItemResult struct {
	// Values lists the rendered rows; a row whose value is missing or null
	// yields none.
	Values []string `json:"values"`
	// Text is Values joined for display and for rule conditions.
	Text string `json:"text"`
	// Rows is the number of rows Root selected, so "no match" (zero rows)
	// can be told apart from a match whose value is empty or null.
	Rows int `json:"rows"`
}

// TicketContext is what an item or a rule knows about the ticket being
// processed.
type TicketContext struct {
	Reporter    *User          `json:"reporter,omitempty"`
	CurrentUser *User          `json:"currentUser,omitempty"`
	Project     map[string]any `json:"project,omitempty"`
	IssueType   map[string]any `json:"issueType,omitempty"`
	RequestType map[string]any `json:"requestType,omitempty"`
	Issue       map[string]any `json:"issue,omitempty"`
	UserInput   string         `json:"userInput,omitempty"`
}

// User is a Jira user as a webhook shows it. EmailAddress is empty when the
// user's privacy settings hide it.
type User struct {
	AccountID    string `json:"accountId,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
}
