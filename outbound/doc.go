// Package outbound provides the HTTP clients that fieldlink uses for
// requests to datasources' APIs and token endpoints.
//
// Every client checks each address it dials, so a datasource cannot reach
// the host's loopback interface, the private network or a cloud metadata
// service unless the operator allows it for the server or for that
// datasource. It follows at most five redirects, checks each hop the same
// way, ignores proxy settings from the environment and limits the size of
// response bodies. For returns a client per datasource with its connect
// timeout, CA bundle and TLS client certificate, shared by datasources with
// equal settings so connections are reused.
package outbound
