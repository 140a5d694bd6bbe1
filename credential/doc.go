// Package credential applies a datasource's authentication to its requests:
// HTTP Basic, a bearer token, an API key, or an access token fetched with the
// OAuth 2 client credentials grant (RFC 6749 §4.4) and cached until shortly
// before it expires.
//
// It also validates authentication settings before they are saved, decodes
// token endpoint errors (RFC 6749 §5.2, with the fields Microsoft Entra ID
// adds) and turns failures into the next step an admin should take.
package credential
