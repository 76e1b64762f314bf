package docker

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// TLSMaterial is what a client needs to talk TLS to a daemon, as PEM bytes so
// the controller can feed Secret data without touching the file system.
type TLSMaterial struct {
	// CA verifies the daemon's certificate; empty means the system roots.
	CA []byte
	// Cert and Key are the client certificate and its private key for
	// daemons started with --tlsverify; give both or neither.
	Cert, Key []byte
	// ServerName overrides the name the daemon's certificate is checked
	// against (and sent as SNI); empty means the endpoint's host.
	ServerName string
	// InsecureSkipVerify accepts any server certificate. It is an explicit
	// opt-out for labs; DaemonInfo.TLSPeer then says "(unverified)".
	InsecureSkipVerify bool
}

// tlsMaterialError marks an error in the TLS material itself, as opposed to
// the endpoint or other settings. Its text is the wrapped error's.
type tlsMaterialError struct{ err error }

func (e *tlsMaterialError) Error() string { return e.err.Error() }

func (e *tlsMaterialError) Unwrap() error { return e.err }

// IsTLSMaterialError reports whether err (or an error it wraps) came from
// New building the TLS configuration out of Config.TLS: a CA, certificate
// or key that is not usable PEM, a certificate without its key or the other
// way round, or a key that does not match its certificate. It is false for
// endpoint, API version and stats source errors, so a caller can tell the
// operator to fix the TLS Secret rather than the endpoint.
func IsTLSMaterialError(err error) bool {
	_, ok := errors.AsType[*tlsMaterialError](err)
	return ok
}

// sessionCacheSize is small: a Client talks to one daemon, whose sessions
// are cached under one key (the server name or address).
const sessionCacheSize = 4

// clientConfig turns the material into a tls.Config, checking each part on
// its own so the error says which one is wrong. Key bytes never reach an
// error message.
func (m *TLSMaterial) clientConfig() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         m.ServerName,
		InsecureSkipVerify: m.InsecureSkipVerify, //nolint:gosec // explicit, surfaced opt-out
		// One cache per Client (New builds a fresh config), kept for the
		// Client's life: a poll's connections resume the daemon's session
		// tickets instead of signing a full handshake each. It is not
		// shared with a client rebuilt after a Secret or spec change, so
		// new certificates (or a new CA) always get a full handshake.
		ClientSessionCache: tls.NewLRUClientSessionCache(sessionCacheSize),
	}
	parsed, err := m.parsed()
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = parsed.pool
	if pair := parsed.pair; pair != nil {
		// Always present our certificate. Go's default sends none when the
		// daemon's acceptable-CA list does not name its issuer, and the
		// daemon then reports "certificate required", hiding the real
		// cause ("unknown certificate authority").
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return pair, nil
		}
	}
	return cfg, nil
}

// caPool parses every certificate of a CA bundle.
func caPool(pemBytes []byte) (*x509.CertPool, error) {
	certs, err := parseCertificates("TLS CA (ca.pem)", pemBytes)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// clientKeyPair validates the client certificate and key separately, then
// together, because "tls: private key does not match public key" alone does
// not tell an operator which Secret key to fix.
func clientKeyPair(certPEM, keyPEM []byte) (tls.Certificate, error) {
	switch {
	case len(keyPEM) == 0:
		return tls.Certificate{}, errors.New("TLS client certificate (cert.pem) given without its private key (key.pem)")
	case len(certPEM) == 0:
		return tls.Certificate{}, errors.New("TLS client key (key.pem) given without its certificate (cert.pem)")
	}
	if _, err := parseCertificates("TLS client certificate (cert.pem)", certPEM); err != nil {
		return tls.Certificate{}, err
	}
	if err := checkKeyPEM(keyPEM); err != nil {
		return tls.Certificate{}, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return tls.Certificate{}, errors.New("TLS client key (key.pem) does not match the client certificate (cert.pem): they must come from the same pair")
		}
		return tls.Certificate{}, fmt.Errorf("TLS client key (key.pem) is not usable: %w", err)
	}
	return pair, nil
}

// parseCertificates decodes all PEM blocks of a certificate file and
// rejects anything that is not a parsable CERTIFICATE.
func parseCertificates(part string, pemBytes []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := pemBytes
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: PEM block %d is a %q, want CERTIFICATE", part, n, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d does not parse: %w", part, n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate found (want -----BEGIN CERTIFICATE-----; is it base64-encoded twice?)", part)
	}
	return certs, nil
}

// checkKeyPEM makes sure the key file holds a PEM private key, naming the
// block type it found instead (a certificate pasted twice is common).
func checkKeyPEM(keyPEM []byte) error {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return errors.New("TLS client key (key.pem): no PEM private key found (want -----BEGIN ... PRIVATE KEY-----)")
	}
	if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
		return fmt.Errorf("TLS client key (key.pem): PEM block is a %q, want a PRIVATE KEY", block.Type)
	}
	return nil
}

// describePeer renders the server certificate as "CN=... SANs=...", the
// identity an operator compares with what they expect the daemon to be.
func describePeer(state *tls.ConnectionState) string {
	if state == nil || len(state.PeerCertificates) == 0 {
		return ""
	}
	cert := state.PeerCertificates[0]
	var parts []string
	if cert.Subject.CommonName != "" {
		parts = append(parts, "CN="+cert.Subject.CommonName)
	}
	sans := append([]string{}, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	if len(sans) > 0 {
		parts = append(parts, "SANs="+strings.Join(sans, ","))
	}
	desc := strings.Join(parts, " ")
	if len(state.VerifiedChains) == 0 {
		desc += " (unverified)"
	}
	return strings.TrimSpace(desc)
}
