package entra

import (
	"net/http"
	"net/url"
)

// clientCredentials is the client authentication of a token request.
type clientCredentials struct {
	clientID string
	secret   string
}

// readClientCredentials returns the client ID and secret from the HTTP Basic
// Authorization header when the request has one, and from the client_id and
// client_secret form parameters otherwise. r.PostForm must be parsed.
//
// RFC 6749 §2.3.1 has the client form-urlencode the ID and the secret before
// it joins them with ':' and base64-encodes the pair, so both are decoded
// here. A client that skips the encoding fails once its secret contains '+',
// '%' or another character the encoding changes. An ID or secret that is not
// valid form-urlencoding is rejected like a wrong one.
func readClientCredentials(r *http.Request, tenant string) (clientCredentials, *tokenError) {
	user, password, ok := r.BasicAuth()
	if !ok {
		return clientCredentials{
			clientID: r.PostForm.Get("client_id"),
			secret:   r.PostForm.Get("client_secret"),
		}, nil
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
	return clientCredentials{clientID: clientID, secret: secret}, nil
}
