package item

import (
	"github.com/fieldlink/fieldlink"
)

// Render returns the request that Evaluate would send for it and tc, without
// sending it. Path, query, header and body values are escaped for where they
// land. A value that is missing or empty fails with *MissingValueError, one
// that cannot be placed fails with *InvalidValueError, and a template that
// does not compile fails with a *fieldlink.Error naming the field.
func Render(it fieldlink.Item, tc fieldlink.TicketContext) (fieldlink.UpstreamRequest, error) {
	t, err := compileRequest(it.Request)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}

	env, err := contextEnv(tc)
	if err != nil {
		return fieldlink.UpstreamRequest{}, err
	}
	return t.render(env)
}
