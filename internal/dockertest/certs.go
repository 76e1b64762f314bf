package dockertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Certificate lifetimes. Valid certificates start an hour in the past so a
// slightly skewed clock does not make them "not yet valid".
const (
	certBackdate = time.Hour
	certLifetime = 48 * time.Hour
)

// CA is a throwaway certificate authority. Keep one to sign several cert
// sets that the same daemon trusts, e.g. for an expired client certificate.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  []byte
}

// CertOptions shapes a cert set; the zero value is a valid set under a new CA.
type CertOptions struct {
	// CA signs the set; nil creates a new CA.
	CA *CA
	// ServerNames are added to the server certificate's SANs (IPs or DNS names).
	ServerNames []string
	// OnlyServerNames drops the default SANs 127.0.0.1 and localhost, so the
	// server certificate names only ServerNames (wrong-server-name tests).
	OnlyServerNames bool
	// ClientExpired makes the client certificate's validity end yesterday.
	ClientExpired bool
	// ClientNotYetValid makes the client certificate's validity start tomorrow.
	ClientNotYetValid bool
}

// Certs is a cert set in docker-machine layout. Dir holds the client side
// under the names the docker CLI and docker-machine use (ca.pem, cert.pem,
// key.pem) plus the daemon's server.pem and server-key.pem.
type Certs struct {
	Dir string
	CA  *CA

	// Client side, as a Secret would carry them.
	CAPEM, CertPEM, KeyPEM    []byte
	CAFile, CertFile, KeyFile string

	// Daemon side.
	ServerCertPEM, ServerKeyPEM   []byte
	ServerCertFile, ServerKeyFile string
}

// NewCA creates a certificate authority named name.
func NewCA(t TB, name string) *CA {
	t.Helper()
	ca, err := newCA(name)
	if err != nil {
		t.Fatalf("create CA %q: %v", name, err)
	}
	return ca
}

// NewCerts creates a CA (unless opts.CA is set), a server certificate and a
// client certificate, writes them to a fresh directory removed at cleanup.
func NewCerts(t TB, opts CertOptions) *Certs {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "dwc")
	if err != nil {
		t.Fatalf("create cert dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := claimDir(dir); err != nil {
		t.Fatalf("create cert dir: %v", err)
	}
	c, err := buildCerts(dir, opts)
	if err != nil {
		t.Fatalf("create certificates in %s: %v", dir, err)
	}
	return c
}

// WrongCACerts returns a valid set under a CA that no other set trusts:
// a daemon refuses its client, and its client refuses the daemon.
func WrongCACerts(t TB) *Certs {
	t.Helper()
	return NewCerts(t, CertOptions{})
}

// ExpiredClientCerts returns a set under ca whose client certificate expired,
// so the daemon trusting ca rejects it during the handshake.
func ExpiredClientCerts(t TB, ca *CA) *Certs {
	t.Helper()
	return NewCerts(t, CertOptions{CA: ca, ClientExpired: true})
}

// WrongServerNameCerts returns a set under ca whose server certificate names
// only "other.example": clients dialling 127.0.0.1 must reject it unless
// they verify against that name.
func WrongServerNameCerts(t TB, ca *CA) *Certs {
	t.Helper()
	return NewCerts(t, CertOptions{CA: ca, ServerNames: []string{"other.example"}, OnlyServerNames: true})
}

// ClientTLSConfig returns the client side as a tls.Config, for Go tests that
// talk to a TLS daemon without the CLI.
func (c *Certs) ClientTLSConfig() (*tls.Config, error) {
	pair, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("load client key pair from %s: %w", c.Dir, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CAPEM) {
		return nil, fmt.Errorf("no CA certificate in %s", c.CAFile)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// buildCerts issues the server and client certificates and writes the set.
func buildCerts(dir string, opts CertOptions) (*Certs, error) {
	ca := opts.CA
	if ca == nil {
		var err error
		if ca, err = newCA("dockwatch-test-ca"); err != nil {
			return nil, err
		}
	}
	srvCert, srvKey, err := ca.issue(serverTemplate(opts))
	if err != nil {
		return nil, fmt.Errorf("issue server certificate: %w", err)
	}
	cliCert, cliKey, err := ca.issue(clientTemplate(opts))
	if err != nil {
		return nil, fmt.Errorf("issue client certificate: %w", err)
	}
	c := &Certs{
		Dir: dir, CA: ca,
		CAPEM: ca.PEM, CertPEM: cliCert, KeyPEM: cliKey,
		CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"),
		ServerCertPEM: srvCert, ServerKeyPEM: srvKey,
		ServerCertFile: filepath.Join(dir, "server.pem"), ServerKeyFile: filepath.Join(dir, "server-key.pem"),
	}
	return c, c.write()
}

// write stores the set on disk; keys are readable by root only.
func (c *Certs) write() error {
	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{c.CAFile, c.CAPEM, 0o644},
		{c.CertFile, c.CertPEM, 0o644},
		{c.KeyFile, c.KeyPEM, 0o600},
		{c.ServerCertFile, c.ServerCertPEM, 0o644},
		{c.ServerKeyFile, c.ServerKeyPEM, 0o600},
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	return nil
}

// newCA creates a self-signed CA certificate with an ECDSA key; ECDSA keeps
// key generation fast on a busy machine.
func newCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name, Organization: []string{"dockwatch test"}},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-sign CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key, PEM: pemBlock("CERTIFICATE", der)}, nil
}

// issue signs tmpl with a fresh key and returns certificate and key as PEM.
func (ca *CA) issue(tmpl *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign %q: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	return pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", keyDER), nil
}

// serverTemplate names 127.0.0.1 and localhost unless told otherwise, since
// test daemons listen on loopback only.
func serverTemplate(opts CertOptions) *x509.Certificate {
	names := opts.ServerNames
	if !opts.OnlyServerNames {
		names = append([]string{"127.0.0.1", "localhost"}, names...)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "dockwatch-test-daemon"},
		NotBefore:   now.Add(-certBackdate),
		NotAfter:    now.Add(certLifetime),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return tmpl
}

// clientTemplate is a client-auth certificate, optionally outside its
// validity window for negative tests.
func clientTemplate(opts CertOptions) *x509.Certificate {
	now := time.Now()
	notBefore, notAfter := now.Add(-certBackdate), now.Add(certLifetime)
	switch {
	case opts.ClientExpired:
		notBefore, notAfter = now.Add(-2*certLifetime), now.Add(-certLifetime/2)
	case opts.ClientNotYetValid:
		notBefore, notAfter = now.Add(certLifetime/2), now.Add(2*certLifetime)
	}
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: "dockwatch-test-client"},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// serial returns a random 128-bit serial number, as RFC 5280 recommends.
func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return n, nil
}

// pemBlock encodes der as one PEM block of the given type.
func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
