package docker

import (
	"runtime"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestClientsOfOneSecretShareItsParsedMaterial: clients built from the same
// bytes hold one CA pool and key pair; other bytes get their own; and the
// shared entry goes once no client holds it.
func TestClientsOfOneSecretShareItsParsedMaterial(t *testing.T) {
	certs := dockertest.NewCerts(t, dockertest.CertOptions{})
	other := dockertest.NewCerts(t, dockertest.CertOptions{})
	material := func(c *dockertest.Certs) *TLSMaterial {
		return &TLSMaterial{CA: c.CAPEM, Cert: c.CertPEM, Key: c.KeyPEM}
	}
	a, err := material(certs).clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	b, err := material(certs).clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := material(other).clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	pairA, _ := a.GetClientCertificate(nil)
	pairB, _ := b.GetClientCertificate(nil)
	pairC, _ := c.GetClientCertificate(nil)
	if a.RootCAs != b.RootCAs || pairA != pairB {
		t.Error("two clients of the same material parsed it twice")
	}
	if a.RootCAs == c.RootCAs || pairA == pairC {
		t.Error("clients of different material share a CA pool or key pair")
	}
	if a.ClientSessionCache == b.ClientSessionCache {
		t.Error("two clients share a TLS session cache; each must have its own")
	}
	key := materialKey(material(certs))
	a, b, pairA, pairB = nil, nil, nil, nil
	deadline := time.Now().Add(5 * time.Second)
	for cached(key) && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if cached(key) {
		t.Error("the parsed material is still cached after every client of it went")
	}
	runtime.KeepAlive(c)
}

// cached reports whether the cache has an entry for key.
func cached(key [32]byte) bool {
	parsedCache.mu.Lock()
	defer parsedCache.mu.Unlock()
	_, ok := parsedCache.entries[key]
	return ok
}
