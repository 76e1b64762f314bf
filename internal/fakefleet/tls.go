package fakefleet

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// ServerTLS is the mutual-TLS configuration of a dockerd started with
// --tlsverify: it presents certPEM/keyPEM and requires a client certificate
// signed by caPEM. Go servers issue TLS session tickets by default, as
// dockerd does, so clients with a session cache can resume.
func ServerTLS(caPEM, certPEM, keyPEM []byte) (*tls.Config, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("no CA certificate in the PEM given")
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}
