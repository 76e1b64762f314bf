package docker

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ambiguousRejection is the cause diagnose gives for the generic "bad
// certificate" alert. Newer daemons send a specific alert (certificate
// required, expired, unknown CA), which is kept as it is.
const ambiguousRejection = "TLS handshake failed: the daemon rejected the client certificate (bad certificate"

// explainClientCert replaces the generic "the daemon rejected the client
// certificate" with the reason found by checking the certificate we sent:
// dockerd 20.10 answers a missing, expired or foreign certificate with the
// same "bad certificate" alert, so its answer alone cannot tell what to fix.
func explainClientCert(e *OpError, m *TLSMaterial, now time.Time) *OpError {
	if m == nil || !strings.HasPrefix(e.Cause, ambiguousRejection) {
		return e
	}
	reason := clientCertProblem(m, now)
	if reason == "" {
		return e
	}
	explained := *e
	explained.Cause = "TLS handshake failed: " + reason + " (the daemon rejected it)"
	return &explained
}

// clientCertProblem checks the client certificate the way the daemon will:
// present, within its validity, and issued by the CA that also signed the
// daemon's certificate (ca.pem verified it, and docker-machine issues both
// from one CA). It returns "" when nothing is wrong on our side.
func clientCertProblem(m *TLSMaterial, now time.Time) string {
	if len(m.Cert) == 0 {
		return "no client certificate was given, and the daemon requires one (cert.pem and key.pem, as docker-machine writes them)"
	}
	cert, err := firstCertificate(m.Cert)
	if err != nil {
		return ""
	}
	switch {
	case now.After(cert.NotAfter):
		return fmt.Sprintf("the client certificate (cert.pem) expired on %s; issue a new one", cert.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(cert.NotBefore):
		return fmt.Sprintf("the client certificate (cert.pem) is not valid before %s; check the clocks", cert.NotBefore.UTC().Format(time.RFC3339))
	}
	if signedByCA(cert, m.CA, now) {
		return ""
	}
	return "the client certificate (cert.pem) is not signed by the CA in ca.pem, which the daemon's certificate is signed by; use the cert.pem and key.pem issued with that CA"
}

// firstCertificate parses the leaf of a PEM certificate file.
func firstCertificate(pemBytes []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// signedByCA reports whether cert verifies as a client certificate against
// the CA bundle; with no CA to compare, it gives the benefit of the doubt.
func signedByCA(cert *x509.Certificate, caPEM []byte, now time.Time) bool {
	pool := x509.NewCertPool()
	if len(caPEM) == 0 || !pool.AppendCertsFromPEM(caPEM) {
		return true
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err == nil
}
