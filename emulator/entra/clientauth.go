package entra

import (
	"net/http"
	"net/url"
)

// jwtBearerAssertionType is the client_assertion_type of a JWT client
// assertion (RFC 7523 §2.2).
const jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientCredentials is the client authentication of a token request.
type clientCredentials struct {
	clientID string
	secret   string

	// assertion and assertionType are the client_assertion and
	// client_assertion_type form parameters.
	assertion     string
	assertionType string
}

// readClientCredentials returns the client ID and secret from the HTTP Basic
// Authorization header when the request has one, and from the client_id and
// client_secret form parameters otherwise, together with any client
// assertion from the form. r.PostForm must be parsed.
//
// RFC 6749 §2.3.1 has the client form-urlencode the ID and the secret before
// it joins them with ':' and base64-encodes the pair, so both are decoded
// here. A client that skips the encoding fails once its secret contains '+',
// '%' or another character the encoding changes. An ID or secret that is not
// valid form-urlencoding is rejected like a wrong one.
func readClientCredentials(r *http.Request, tenant string) (clientCredentials, *tokenError) {
	creds := clientCredentials{
		assertion:     r.PostForm.Get("client_assertion"),
		assertionType: r.PostForm.Get("client_assertion_type"),
	}

	user, password, ok := r.BasicAuth()
	if !ok {
		creds.clientID = r.PostForm.Get("client_id")
		creds.secret = r.PostForm.Get("client_secret")
		return creds, nil
	}

	clientID, err := url.QueryUnescape(user)
	if err != nil {
		e := errApplicationNotFound(user, tenant)
		return clientCredentials{}, &e
	}
	secret, err := url.QueryUnescape(password)
	if err != nil {
		e := errInvalidClientSecret()
		return clientCredentials{}, &e
	}
	creds.clientID = clientID
	creds.secret = secret
	return creds, nil
}
