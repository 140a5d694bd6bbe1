package jira

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// SignatureHeader is the header in which Jira Cloud sends the signature of
// an admin webhook registered with a secret. Its value has the WebSub form
// "sha256=<hex>", the HMAC-SHA256 of the raw request body keyed with the
// secret.
const SignatureHeader = "X-Hub-Signature"

// Signature errors. VerifySignature returns exactly one of them, so an intake
// handler can tell a webhook sent without a secret from a forged one.
var (
	ErrSecretEmpty        = errors.New("verify webhook signature: the hook has no secret: set one on the hook and the same one on the Jira webhook")
	ErrSignatureMissing   = errors.New("verify webhook signature: the X-Hub-Signature header is missing: set the hook's secret on the Jira webhook so Jira signs deliveries")
	ErrSignatureAlgorithm = errors.New("verify webhook signature: the X-Hub-Signature header does not start with \"sha256=\": only HMAC-SHA256 signatures are accepted")
	ErrSignatureEncoding  = errors.New("verify webhook signature: the X-Hub-Signature value is not 64 hexadecimal digits")
	ErrSignatureMismatch  = errors.New("verify webhook signature: the signature does not match the body: check that the Jira webhook and the hook share the same secret")
)

const signaturePrefix = "sha256="

// VerifySignature checks header, the X-Hub-Signature value of a delivery,
// against the HMAC-SHA256 of body keyed with secret. The digests are compared
// in constant time. It returns nil when they match, and otherwise one of
// ErrSecretEmpty, ErrSignatureMissing, ErrSignatureAlgorithm,
// ErrSignatureEncoding or ErrSignatureMismatch.
func VerifySignature(secret string, body []byte, header string) error {
	if secret == "" {
		return ErrSecretEmpty
	}

	header = strings.TrimSpace(header)
	if header == "" {
		return ErrSignatureMissing
	}

	// The algorithm name is compared without regard to case, as WebSub
	// hubs write it in lower case but nothing forbids upper case.
	if len(header) < len(signaturePrefix) || !strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return ErrSignatureAlgorithm
	}

	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return ErrSignatureEncoding
	}

	if !hmac.Equal(got, Sign(secret, body)) {
		return ErrSignatureMismatch
	}
	return nil
}

// Sign returns the HMAC-SHA256 of body keyed with secret, the digest that
// VerifySignature expects in hexadecimal after "sha256=".
func Sign(secret string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return mac.Sum(nil)
}
