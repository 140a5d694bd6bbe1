// Package upstream sends requests to datasources' APIs and runs Test
// connection. It joins each request to the datasource's base URL, adds the
// datasource's headers and credentials, sends it through the datasource's
// own outbound client, applies its timeout and retries once with a new token
// when the API rejects a cached one. It reports the outcome of requests to a
// HealthRecorder, and refuses requests of a datasource whose recorded health
// marks its current settings as broken.
package upstream
