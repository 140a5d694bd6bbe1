package item

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/theory/jsonpath"

	"github.com/fieldlink/fieldlink"
)

// MaxPages is the number of pages one evaluation fetches at most. An item
// whose results need more fails with *PagingError, so a faulty API cannot
// keep the engine paging.
const MaxPages = 100

// MaxRowsLimit is the largest MaxRows an item may set.
const MaxRowsLimit = 100_000

// odataNextLink is the member of an OData response that links the next page.
const odataNextLink = "@odata.nextLink"

// pagingPlan is an item's compiled paging settings.
type pagingPlan struct {
	mode        fieldlink.PagingMode
	cursor      *jsonpath.Path
	cursorParam string
	offsetParam string
	limitParam  string
	pageSize    int
}

var pagingModes = []fieldlink.PagingMode{
	fieldlink.PagingNone, fieldlink.PagingOData, fieldlink.PagingLink, fieldlink.PagingCursor, fieldlink.PagingOffset,
}

// compilePaging checks an item's paging settings. Errors are
// *fieldlink.Error values that name the field.
func compilePaging(p fieldlink.Paging) (pagingPlan, error) {
	plan := pagingPlan{
		mode:        p.Mode,
		cursorParam: strings.TrimSpace(p.CursorParam),
		offsetParam: strings.TrimSpace(p.OffsetParam),
		limitParam:  strings.TrimSpace(p.LimitParam),
		pageSize:    p.PageSize,
	}
	if plan.mode == "" {
		plan.mode = fieldlink.PagingOData
	}

	switch plan.mode {
	case fieldlink.PagingNone, fieldlink.PagingOData, fieldlink.PagingLink:

	case fieldlink.PagingCursor:
		if strings.TrimSpace(p.CursorPath) == "" {
			return pagingPlan{}, fieldlink.Errorf(fieldlink.EInvalid, "paging.cursorPath is required for cursor paging; write the JSONPath of the next cursor, for example $.next_cursor")
		}
		cursor, err := jsonpath.Parse(p.CursorPath)
		if err != nil {
			return pagingPlan{}, fieldlink.Errorf(fieldlink.EInvalid, "paging.cursorPath %q is not a valid JSONPath: %v; write one such as $.next_cursor", p.CursorPath, err)
		}
		plan.cursor = cursor
		if plan.cursorParam == "" {
			return pagingPlan{}, fieldlink.Errorf(fieldlink.EInvalid, "paging.cursorParam is required for cursor paging; write the query parameter that carries the cursor, for example cursor")
		}

	case fieldlink.PagingOffset:
		if plan.offsetParam == "" {
			return pagingPlan{}, fieldlink.Errorf(fieldlink.EInvalid, "paging.offsetParam is required for offset paging; write the query parameter of the first row, for example offset or startAt")
		}
		if p.PageSize <= 0 {
			return pagingPlan{}, fieldlink.Errorf(fieldlink.EInvalid, "paging.pageSize %d is out of range for offset paging; set the rows the API returns per page, for example 50", p.PageSize)
		}

	default:
		return pagingPlan{}, fieldlink.Errorf(fieldlink.EInvalid, "paging.mode %q is not supported; use %s", p.Mode, joinModes())
	}
	return plan, nil
}

func joinModes() string {
	names := make([]string, len(pagingModes))
	for i, mode := range pagingModes {
		names[i] = string(mode)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// firstRequest returns the request of the first page: req itself, or for
// offset paging req with the offset 0 and the page size.
func (p pagingPlan) firstRequest(req fieldlink.UpstreamRequest) fieldlink.UpstreamRequest {
	if p.mode != fieldlink.PagingOffset {
		return req
	}

	req.Path = setQueryParam(req.Path, p.offsetParam, "0")
	if p.limitParam != "" {
		req.Path = setQueryParam(req.Path, p.limitParam, strconv.Itoa(p.pageSize))
	}
	return req
}

// page is the state the next request is made from: the first request, the
// one that returned this page, the response, and the rows seen so far.
type page struct {
	first    fieldlink.UpstreamRequest
	current  fieldlink.UpstreamRequest
	header   http.Header
	doc      any
	rows     int
	received int
}

// next returns the request of the page after pg. ok is false when pg is the
// last page.
func (p pagingPlan) next(ds fieldlink.Datasource, pg page) (next fieldlink.UpstreamRequest, ok bool, err error) {
	switch p.mode {
	case fieldlink.PagingOData:
		fields, _ := pg.doc.(map[string]any)
		link, _ := fields[odataNextLink].(string)
		if strings.TrimSpace(link) == "" {
			return fieldlink.UpstreamRequest{}, false, nil
		}
		return linkRequest(ds, pg, link)

	case fieldlink.PagingLink:
		link, found := nextFromLinkHeader(pg.header.Values("Link"))
		if !found || strings.TrimSpace(link) == "" {
			return fieldlink.UpstreamRequest{}, false, nil
		}
		return linkRequest(ds, pg, link)

	case fieldlink.PagingCursor:
		var cursor string
		if nodes := selectRows(p.cursor, pg.doc); len(nodes) > 0 {
			cursor, _ = scalarText(nodes[0])
		}
		if cursor == "" {
			return fieldlink.UpstreamRequest{}, false, nil
		}
		next = cloneRequest(pg.first)
		next.Path = setQueryParam(pg.first.Path, p.cursorParam, cursor)
		return next, true, nil

	case fieldlink.PagingOffset:
		if pg.rows < p.pageSize {
			return fieldlink.UpstreamRequest{}, false, nil
		}
		next = cloneRequest(pg.first)
		next.Path = setQueryParam(pg.first.Path, p.offsetParam, strconv.Itoa(pg.received))
		return next, true, nil
	}
	return fieldlink.UpstreamRequest{}, false, nil
}

// linkRequest returns a GET request of a next page link, with the item's
// headers but not its body.
func linkRequest(ds fieldlink.Datasource, pg page, link string) (fieldlink.UpstreamRequest, bool, error) {
	target, err := resolveNextLink(ds.BaseURL, pg.current.Path, link)
	if err != nil {
		return fieldlink.UpstreamRequest{}, false, err
	}

	next := cloneRequest(pg.first)
	next.Method = http.MethodGet
	next.Path = target
	next.Body = nil
	next.Header.Del("Content-Type")
	return next, true, nil
}

func cloneRequest(req fieldlink.UpstreamRequest) fieldlink.UpstreamRequest {
	req.Header = maps.Clone(req.Header)
	if req.Header == nil {
		req.Header = http.Header{}
	}
	return req
}

// pageKey identifies a page request, so a link back to a page already
// fetched is noticed even when one is relative and the other absolute.
func pageKey(ds fieldlink.Datasource, req fieldlink.UpstreamRequest) string {
	target := req.Path
	if u, err := requestURL(ds.BaseURL, req.Path); err == nil {
		target = u.String()
	}
	return fmt.Sprintf("%s %s %q", req.Method, target, req.Body)
}
