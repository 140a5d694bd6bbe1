// Package upstream sends requests to datasources' APIs and runs Test
// connection. It joins each request to the datasource's base URL, adds the
// datasource's headers and credentials, applies its timeout and retries once
// with a new token when the API rejects a cached one.
package upstream
