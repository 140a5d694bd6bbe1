package item

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldlink/fieldlink"
)

// sendFunc sends one page request.
type sendFunc func(ctx context.Context, req fieldlink.UpstreamRequest) (fieldlink.UpstreamResponse, error)

// fetchResult is the outcome of fetching an item's pages.
type fetchResult struct {
	// first is the decoded first page, which ${data…} reads.
	first any
	// rows are the rows the root selected over all pages, at most maxRows.
	rows      []any
	truncated bool
	// pages is the number of pages fetched and decoded.
	pages int
	// selecting is the time spent selecting rows and reading next links.
	selecting time.Duration
}

// fetchPages sends first and then the requests of the following pages that
// the item's paging mode gives, collecting the rows the root selects. It stops
// at the last page, when c.maxRows rows are collected (setting truncated
// when more remain), or with an error. On error it returns what it collected.
func (e *Engine) fetchPages(ctx context.Context, c *compiledItem, ds fieldlink.Datasource, first fieldlink.UpstreamRequest, send sendFunc) (fetchResult, error) {
	var result fetchResult
	// seen maps each page's request to its page number, to detect paging
	// that loops. It is filled when a second page is due, since most
	// lookups read one page.
	var seen map[string]int
	req := first
	received := 0

	for number := 1; ; number++ {
		resp, err := send(ctx, req)
		if err != nil {
			return result, requestError(c.item, req, number, err)
		}
		doc, err := decodeResponse(resp)
		if err != nil {
			return result, requestError(c.item, req, number, err)
		}

		start := e.now()
		result.pages = number
		if number == 1 {
			result.first = doc
		}
		rows := selectRows(c.root, doc)
		received += len(rows)

		room := c.maxRows - len(result.rows)
		if len(rows) > room {
			result.rows = append(result.rows, rows[:room]...)
			result.truncated = true
			result.selecting += e.now().Sub(start)
			return result, nil
		}
		result.rows = append(result.rows, rows...)

		next, ok, err := c.paging.next(ds, page{first: first, current: req, header: resp.Header, doc: doc, rows: len(rows), received: received})
		if c.wholeResponse() {
			// ${data…} reads the first page only; a next page left unread
			// means the result is incomplete.
			result.truncated = err == nil && ok
			result.selecting += e.now().Sub(start)
			return result, nil
		}
		result.selecting += e.now().Sub(start)
		switch {
		case err != nil:
			return result, &PagingError{Item: c.item.Name, Page: number, Reason: err.Error()}
		case !ok:
			return result, nil
		case len(result.rows) >= c.maxRows:
			result.truncated = true
			return result, nil
		}

		if seen == nil {
			seen = map[string]int{pageKey(ds, first): 1}
		}
		key := pageKey(ds, next)
		if earlier, repeated := seen[key]; repeated {
			return result, &PagingError{Item: c.item.Name, Page: number, Reason: fmt.Sprintf(
				"the next page %s repeats page %d; check the item's paging settings, or set paging.mode to none", pathOnly(next.Path), earlier)}
		}
		if number >= MaxPages {
			return result, &PagingError{Item: c.item.Name, Page: number, Reason: fmt.Sprintf(
				"the results have more than %d pages; ask for larger pages (for example with $top), narrow the request or lower maxRows", MaxPages)}
		}
		seen[key] = number + 1
		req = next
	}
}

// requestError names the request, its page when it is not the first, and the
// item.
func requestError(it fieldlink.Item, req fieldlink.UpstreamRequest, number int, err error) error {
	if number == 1 {
		return fmt.Errorf("request %s %s of item %q: %w", req.Method, pathOnly(req.Path), it.Name, err)
	}
	return fmt.Errorf("request %s %s (page %d) of item %q: %w", req.Method, pathOnly(req.Path), number, it.Name, err)
}
