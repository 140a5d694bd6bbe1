package credential

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// errNoCertificate reports PEM text without a CERTIFICATE block.
var errNoCertificate = errors.New("no PEM certificate found: paste the certificate as text starting with -----BEGIN CERTIFICATE-----")

// parseCertificates returns the certificates of the CERTIFICATE blocks in
// pemText, in order, skipping blocks of other types such as keys.
func parseCertificates(pemText string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := []byte(pemText)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}

		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, cert)
	}

	if len(certs) == 0 {
		return nil, errNoCertificate
	}
	return certs, nil
}

// describeCertificate names a certificate by subject and SHA-1 thumbprint,
// the two columns that Entra ID's Certificates & secrets page shows.
func describeCertificate(cert *x509.Certificate) string {
	return fmt.Sprintf("subject %q, thumbprint %s", cert.Subject.String(), sha1Thumbprint(cert))
}
