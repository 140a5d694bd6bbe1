package jira_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/fieldlink/fieldlink/jira"
)

func TestVerifySignature(t *testing.T) {
	const secret = "It's a Secret to Everybody"
	body := []byte(`{"webhookEvent":"jira:issue_created","issue":{"key":"ITH-1"}}`)
	good := "sha256=" + hex.EncodeToString(jira.Sign(secret, body))

	changed := append([]byte(nil), body...)
	changed[len(changed)-3] = '2'

	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   error
	}{
		{"good", secret, body, good, nil},
		{"upper-case algorithm", secret, body, "SHA256=" + good[len("sha256="):], nil},
		{"wrong secret", "another secret", body, good, jira.ErrSignatureMismatch},
		{"missing header", secret, body, "", jira.ErrSignatureMissing},
		{"sha1 prefix", secret, body, "sha1=" + good[len("sha256="):], jira.ErrSignatureAlgorithm},
		{"no prefix", secret, body, good[len("sha256="):], jira.ErrSignatureAlgorithm},
		{"bad hex", secret, body, "sha256=zz" + good[len("sha256=")+2:], jira.ErrSignatureEncoding},
		{"short digest", secret, body, good[:len(good)-2], jira.ErrSignatureEncoding},
		{"body changed by one byte", secret, changed, good, jira.ErrSignatureMismatch},
		{"empty secret", "", body, good, jira.ErrSecretEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := jira.VerifySignature(tt.secret, tt.body, tt.header)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("VerifySignature() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignatureErrorsDistinct(t *testing.T) {
	errs := []error{jira.ErrSecretEmpty, jira.ErrSignatureMissing, jira.ErrSignatureAlgorithm, jira.ErrSignatureEncoding, jira.ErrSignatureMismatch}
	for i, a := range errs {
		for j, b := range errs {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
}
