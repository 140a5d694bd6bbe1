package upstream

import (
	"strings"
	"testing"
)

func TestJoinURL(t *testing.T) {
	tests := []struct {
		base, path, want string
	}{
		{"https://graph.example/v1.0", "/users", "https://graph.example/v1.0/users"},
		{"https://graph.example/v1.0/", "/users", "https://graph.example/v1.0/users"},
		{"https://graph.example/v1.0/", "users", "https://graph.example/v1.0/users"},
		{"https://graph.example/v1.0", "users", "https://graph.example/v1.0/users"},
		{"https://graph.example/v1.0//", "//users", "https://graph.example/v1.0/users"},
		{"https://graph.example", "/users", "https://graph.example/users"},
		{"https://graph.example/v1.0", "", "https://graph.example/v1.0"},
		{"https://graph.example/v1.0", "/users/", "https://graph.example/v1.0/users/"},
		{
			"https://graph.example/v1.0",
			"/users/a%2Fb%40corp.example?$select=officeLocation,department&$filter=mail%20eq%20'x%26y'",
			"https://graph.example/v1.0/users/a%2Fb%40corp.example?$select=officeLocation,department&$filter=mail%20eq%20'x%26y'",
		},
		{"https://api.example/v1?api-version=2", "/items?top=5", "https://api.example/v1/items?api-version=2&top=5"},
		{"https://api.example/v1?api-version=2", "/items", "https://api.example/v1/items?api-version=2"},
		{"https://api.example/v1", "?top=5", "https://api.example/v1?top=5"},
		{"https://api.example/v1#docs", "/items", "https://api.example/v1/items"},
		{"https://graph.example/v1.0", "https://graph.example/v1.0/users?$skiptoken=X%27Y", "https://graph.example/v1.0/users?$skiptoken=X%27Y"},
		{"http://127.0.0.1:8080/api", "/me", "http://127.0.0.1:8080/api/me"},
		{"https://graph.example/v1.0", "https://graph.example:443/v1.0/users?$skiptoken=A", "https://graph.example:443/v1.0/users?$skiptoken=A"},
		{"https://graph.example:443/v1.0", "https://graph.example/v1.0/users", "https://graph.example/v1.0/users"},
		{"https://graph.example/v1.0", "https://GRAPH.example/v1.0/users", "https://GRAPH.example/v1.0/users"},
		{"https://graph.example/v1.0", "HTTPS://graph.example/v1.0/users", "HTTPS://graph.example/v1.0/users"},
		{"http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/items?page=2", "http://127.0.0.1:8080/api/items?page=2"},
		{"http://[::1]:8080/api", "http://[::1]:8080/api/items?page=2", "http://[::1]:8080/api/items?page=2"},
	}
	for _, tt := range tests {
		got, err := joinURL(tt.base, tt.path)
		if err != nil {
			t.Errorf("joinURL(%q, %q): %v", tt.base, tt.path, err)
			continue
		}
		if got != tt.want {
			t.Errorf("joinURL(%q, %q) = %q, want %q", tt.base, tt.path, got, tt.want)
		}
	}
}

func TestJoinURLRejects(t *testing.T) {
	tests := []struct {
		base, path, wantPart string
	}{
		{"ftp://files.example", "/x", "is not an http(s) URL"},
		{"graph.example/v1.0", "/x", "is not an http(s) URL"},
		{"https://graph.example/%zz", "/x", "is not a valid URL"},
		{"https://graph.example/v1.0", "https://other.example/v1.0/users", "is not on the datasource's host"},
		{"https://graph.example/v1.0", "http://graph.example/v1.0/users", "is not on the datasource's host"},
		{"https://graph.example/v1.0", "HTTP://graph.example/v1.0/users", "is not on the datasource's host"},
		{"https://graph.example/v1.0", "https://graph.example:8443/v1.0/users", "credentials are sent only to the datasource's own host"},
		{"http://127.0.0.1:8080/api", "http://127.0.0.1:8081/api/items", "credentials are sent only to the datasource's own host"},
		{"http://127.0.0.1:8080/api", "http://localhost:8080/api/items", "credentials are sent only to the datasource's own host"},
		{"https://graph.example/v1.0", "https://graph.example.other.example/v1.0/users", "credentials are sent only to the datasource's own host"},
		{"https://graph.example/v1.0", "https://user:pw@graph.example/v1.0/users", "contains user info"},
	}
	for _, tt := range tests {
		_, err := joinURL(tt.base, tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.wantPart) {
			t.Errorf("joinURL(%q, %q) error = %v, want one containing %q", tt.base, tt.path, err, tt.wantPart)
		}
	}
}

func TestJoinURLKeepsRelativeOnBaseHost(t *testing.T) {
	// Paths that look like another host but are not absolute http(s) URLs
	// stay below the base URL.
	tests := []struct {
		path, want string
	}{
		{"//other.example/users", "https://graph.example/v1.0/other.example/users"},
		{"ftp://other.example/users", "https://graph.example/v1.0/ftp://other.example/users"},
	}
	for _, tt := range tests {
		got, err := joinURL("https://graph.example/v1.0", tt.path)
		if err != nil {
			t.Errorf("joinURL(%q): %v", tt.path, err)
			continue
		}
		if got != tt.want {
			t.Errorf("joinURL(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
