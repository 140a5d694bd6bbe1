// Package graph emulates the users API of Microsoft Graph v1.0 as an
// http.Handler for loopback servers. It serves GET /v1.0/users with $filter,
// $select, $top and @odata.nextLink paging, and GET /v1.0/users/{id} where id
// is an object ID or a userPrincipalName.
//
// Responses use Graph's JSON shapes, headers and error codes, so the demo and
// the end-to-end tests exercise the same parsing and error handling as with
// the real service. ThrottleNext, UnavailableNext and FailNext make the next
// requests fail with 429, 503 or another status and a chosen Retry-After
// header, to test retries. TruncateNext cuts the next responses short, and
// SetEndlessPaging links every page to a further one. Options.Latency delays every response, to model
// a remote API in benchmarks. SampleDirectory returns a made-up directory to
// serve.
package graph
