package fieldlink

// ItemType is the kind of field an item's values fill on a ticket.
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
	// "${row.officeLocation}"; for a select item it renders the option's
	// value. A read-only item may instead render the whole result once with
	// ${data.…}.
	Template string

	// LabelTemplate renders a select option's label, the text shown to
	// an agent. Empty means the label is the value.
	LabelTemplate string

	// CacheSeconds is how long a result is reused for the same rendered
	// request. Zero disables caching.
	CacheSeconds int

	// MaxRows bounds the rows collected over all pages. Zero means
	// DefaultMaxRows.
	MaxRows int

	// Paging configures how the pages after the first are fetched.
	Paging Paging

	// LookupTokenHash is the SHA-256 of the token that Jira Automation sends
	// to POST /api/v1/lookup/{item}; empty when the item has no lookup token.
	LookupTokenHash string
}

// DefaultMaxRows is the row limit of an item whose MaxRows is zero.
const DefaultMaxRows = 1000

// PagingMode names how an API hands out the next page.
type PagingMode string

// Paging modes.
const (
	// PagingNone reads the first page only.
	PagingNone PagingMode = "none"
	// PagingOData follows "@odata.nextLink" (Microsoft Graph and other
	// OData services). It is the default when Mode is empty.
	PagingOData PagingMode = "odata"
	// PagingLink follows an RFC 8288 Link header with rel="next".
	PagingLink PagingMode = "link"
	// PagingCursor sends the cursor found at CursorPath in the response as
	// the query parameter CursorParam, until the cursor is empty.
	PagingCursor PagingMode = "cursor"
	// PagingOffset sends OffsetParam (and LimitParam with PageSize) and
	// advances by the rows received, until a page has fewer than PageSize.
	PagingOffset PagingMode = "offset"
)

// Paging configures how an item fetches further pages.
type Paging struct {
	Mode PagingMode

	// CursorPath is an RFC 9535 JSONPath to the next cursor, for PagingCursor.
	CursorPath string
	// CursorParam is the query parameter that carries the cursor.
	CursorParam string

	// OffsetParam and LimitParam are the query parameters of PagingOffset;
	// PageSize is the rows asked for per page.
	OffsetParam string
	LimitParam  string
	PageSize    int
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
	// is distinguished from a match whose value is empty or null.
	Rows int `json:"rows"`
	// Options are a select item's options, in row order.
	Options []Option `json:"options,omitempty"`
	// Truncated reports whether the row limit stopped paging early.
	Truncated bool `json:"truncated,omitempty"`
}

// Option is one option of a select item.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// TicketContext is the data about the ticket being processed that items
// and rules read.
type TicketContext struct {
	Reporter    *User          `json:"reporter,omitempty"`
	CurrentUser *User          `json:"currentUser,omitempty"`
	Project     map[string]any `json:"project,omitempty"`
	IssueType   map[string]any `json:"issueType,omitempty"`
	RequestType map[string]any `json:"requestType,omitempty"`
	Issue       map[string]any `json:"issue,omitempty"`
	UserInput   string         `json:"userInput,omitempty"`

	// Items holds the results of the items this one depends on, by name,
	// for ${items["Name"]} (the text) and ${itemValues["Name"]} (the list).
	// Callers evaluate dependencies first, in the order item.Order gives.
	Items map[string]ItemResult `json:"items,omitempty"`
}

// User is a Jira user as a webhook shows it. EmailAddress is empty when the
// user's privacy settings hide it.
type User struct {
	AccountID    string `json:"accountId,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
	DisplayName  string `json:"displayName,omitempty"`
}
