package fakefleet

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// ServerTLS is the mutual-TLS configuration of a dockerd started with
// --tlsverify: it presents certPEM/keyPEM and requires a client certificate
// signed by caPEM. Go servers issue TLS session tickets by default, as
// dockerd does, so clients with a session cache can resume. The key
// exchange groups are those of Engine 20.10 (built with Go 1.19), which
// knows no post-quantum hybrid: a client offering X25519MLKEM768 gets
// X25519, as from a real daemon of that age.
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
		Certificates:     []tls.Certificate{pair},
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        pool,
		MinVersion:       tls.VersionTLS12,
		CurvePreferences: engine2010Curves,
	}, nil
}

// engine2010Curves are Go 1.19's default key exchange groups, the ones
// Engine 20.10 negotiates.
var engine2010Curves = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}
