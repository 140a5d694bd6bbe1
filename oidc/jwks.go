package oidc

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
)

// jsonWebKey is one key of a JWKS (RFC 7517). Only RSA signing keys are
// used.
type jsonWebKey struct {
	KeyType string `json:"kty"`
	KeyID   string `json:"kid"`
	Use     string `json:"use"`
	N       string `json:"n"`
	E       string `json:"e"`
}

// fetchKeys reads the provider's JWKS and returns its RSA signing keys by
// key ID.
func fetchKeys(ctx context.Context, client *http.Client, url string) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []jsonWebKey `json:"keys"`
	}
	if err := getJSON(ctx, client, url, &set); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}

	keys := make(map[string]*rsa.PublicKey)
	for _, k := range set.Keys {
		if k.KeyType != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		key, err := rsaKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q in %s: %w", ErrDiscovery, k.KeyID, url, err)
		}
		keys[k.KeyID] = key
	}
	return keys, nil
}

func rsaKey(k jsonWebKey) (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, fmt.Errorf("decode modulus: %w", err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, fmt.Errorf("decode exponent: %w", err)
	}
	exponent := new(big.Int).SetBytes(e)
	if len(n) < 256 || !exponent.IsInt64() || exponent.Int64() < 3 || exponent.Int64() > 1<<31-1 {
		return nil, fmt.Errorf("RSA key shorter than 2048 bits or with an invalid exponent")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exponent.Int64())}, nil
}
