package item

import (
	"github.com/fieldlink/fieldlink"
)

// Render returns the first request that Evaluate would send for it and tc,
// without sending it. For offset paging it carries the first offset and
// the page size. Path, query, header and body values are escaped for where they
// land. A value that is missing or empty fails with *MissingValueError, one
// that cannot be placed fails with *InvalidValueError, and a template that
// does not compile fails with a *fieldlink.Error naming the field.
func Render(it fieldlink.Item, tc fieldlink.TicketContext) (fieldlink.UpstreamRequest, error) {
	t, err := compileRequest(it.Request)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}

	paging, err := compilePaging(it.Paging)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}

	env, err := contextEnv(tc)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}
	req, err := t.render(env)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}
	return paging.firstRequest(req), nil
}
