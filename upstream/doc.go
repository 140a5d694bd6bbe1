// Package upstream sends requests to datasources' APIs and runs Test
// connection. It joins each request to the datasource's base URL, adds the
// datasource's headers and credentials, sends it through the datasource's
// own outbound client and applies its timeout. It retries once with a new
// token when the API rejects a cached one, and retries throttled (429, 503)
// and failed requests within a time budget, honoring Retry-After. DoTraced
// sends once and times the request's phases for the item tester. The
// package reports the outcome of requests to a HealthRecorder, and refuses
// requests of a datasource whose recorded health marks its current settings
// as broken.
package upstream
