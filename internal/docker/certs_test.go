package docker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"testing"
	"time"
)

// testCA is a throwaway certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// leafSpec describes a certificate to issue.
type leafSpec struct {
	cn        string
	dnsNames  []string
	ips       []net.IP
	notBefore time.Time
	notAfter  time.Time
	usage     x509.ExtKeyUsage
}

// leaf is an issued certificate with its key, as PEM and as a tls pair.
type leaf struct {
	certPEM, keyPEM []byte
	pair            tls.Certificate
}

// newSerial returns a random certificate serial number.
func newSerial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(t), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pemBlock("CERTIFICATE", der)}
}

// issue signs a leaf certificate; zero dates mean valid from an hour ago
// for a day.
func (ca *testCA) issue(t *testing.T, spec leafSpec) leaf {
	t.Helper()
	if spec.notBefore.IsZero() {
		spec.notBefore = time.Now().Add(-time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = time.Now().Add(24 * time.Hour)
	}
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(t), Subject: pkix.Name{CommonName: spec.cn},
		DNSNames: spec.dnsNames, IPAddresses: spec.ips,
		NotBefore: spec.notBefore, NotAfter: spec.notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{spec.usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	l := leaf{certPEM: pemBlock("CERTIFICATE", der), keyPEM: pemBlock("EC PRIVATE KEY", keyDER)}
	if l.pair, err = tls.X509KeyPair(l.certPEM, l.keyPEM); err != nil {
		t.Fatal(err)
	}
	return l
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// serverLeaf is a daemon certificate for 127.0.0.1, as a TLS dockerd has.
func serverLeaf(t *testing.T, ca *testCA, notAfter time.Time) leaf {
	return ca.issue(t, leafSpec{cn: "dockerd", dnsNames: []string{"localhost"},
		ips: []net.IP{net.IPv4(127, 0, 0, 1)}, notAfter: notAfter, usage: x509.ExtKeyUsageServerAuth})
}

// clientLeaf is a client certificate as docker-machine issues it.
func clientLeaf(t *testing.T, ca *testCA, notBefore, notAfter time.Time) leaf {
	return ca.issue(t, leafSpec{cn: "client", notBefore: notBefore, notAfter: notAfter, usage: x509.ExtKeyUsageClientAuth})
}

// startTLSDaemon serves the fake daemon like `dockerd --tlsverify`: TLS
// with the given certificate, client certificates required and verified
// against clientCA.
func startTLSDaemon(t *testing.T, server leaf, clientCA *testCA) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(newFakeHandler("1.41", webAndDB()...))
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{server.pair},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return "tcp://" + srv.Listener.Addr().String()
}
