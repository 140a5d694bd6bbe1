// Package outbound provides the one HTTP client that fieldlink uses for
// requests to datasources' APIs and token endpoints.
//
// The client checks every address it dials, so a datasource cannot reach the
// host's loopback interface, the private network or a cloud metadata service
// unless the operator allows it. It follows at most five redirects, checks
// each hop the same way, ignores proxy settings from the environment and
// limits the size of response bodies.
package outbound
