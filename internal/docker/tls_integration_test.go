package docker_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// material is the client side of a harness cert set as a Secret carries it.
func material(c *dockertest.Certs) *docker.TLSMaterial {
	return &docker.TLSMaterial{CA: c.CAPEM, Cert: c.CertPEM, Key: c.KeyPEM}
}

// TestRealDaemonTLS runs the client against a real `dockerd --tlsverify` on
// 127.0.0.1: good certificates give a verified peer and figures, and each
// common misconfiguration fails with an error naming its cause. One daemon
// serves every case; the wrong-server-name case restarts it, so it is last.
func TestRealDaemonTLS(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{TLS: true})
	d.RunIdle(t, "idle", "-m", "64m")

	t.Run("verified peer and figures over TLS", func(t *testing.T) {
		c := newRealClient(t, docker.Config{Endpoint: d.Host, TLS: material(d.Certs)})
		snap := snapshot(t, c, docker.Selection{})
		if peer := snap.Daemon.TLSPeer; !strings.Contains(peer, "CN=dockwatch-test-daemon") || strings.Contains(peer, "unverified") {
			t.Errorf("TLSPeer = %q, want the verified test daemon", peer)
		}
		if got := find(t, snap, "idle").MemoryLimitBytes; got != 64<<20 {
			t.Errorf("memory limit over TLS = %d, want 64 MiB", got)
		}
	})

	// dockerd 20.10 (built with Go 1.19) answers every rejected client
	// certificate with the same "bad certificate" alert, whether it is
	// missing, expired or from a foreign CA; the Client checks the
	// certificate it sent to name which (explainClientCert).
	foreign := dockertest.WrongCACerts(t)
	expired := dockertest.ExpiredClientCerts(t, d.Certs.CA)
	cases := []struct {
		name     string
		material *docker.TLSMaterial
		cause    string
	}{
		{"wrong CA", material(foreign), "server certificate signed by unknown authority (wrong or missing CA)"},
		{"client certificate from a foreign CA",
			&docker.TLSMaterial{CA: d.Certs.CAPEM, Cert: foreign.CertPEM, Key: foreign.KeyPEM}, "not signed by the CA in ca.pem"},
		{"missing client certificate", &docker.TLSMaterial{CA: d.Certs.CAPEM}, "no client certificate was given"},
		{"expired client certificate", material(expired), "the client certificate (cert.pem) expired on"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectTLSFailure(t, docker.Config{Endpoint: d.Host, TLS: tc.material}, tc.cause)
		})
	}

	t.Run("wrong server name", func(t *testing.T) {
		d.Restart(t, dockertest.WithCerts(dockertest.WrongServerNameCerts(t, d.Certs.CA)))
		expectTLSFailure(t, docker.Config{Endpoint: d.Host, TLS: material(d.Certs)},
			`server name mismatch: the daemon's certificate is not valid for "127.0.0.1"`)
		m := material(d.Certs)
		m.ServerName = "other.example"
		c := newRealClient(t, docker.Config{Endpoint: d.Host, TLS: m})
		if _, err := c.Ping(context.Background()); err != nil {
			t.Errorf("with serverName other.example: %v", err)
		}
	})
}

// expectTLSFailure pings with cfg and checks the error is a TLS handshake
// failure whose text names cause.
func expectTLSFailure(t *testing.T, cfg docker.Config, cause string) {
	t.Helper()
	c := newRealClient(t, cfg)
	_, err := c.Ping(context.Background())
	if err == nil {
		t.Fatal("Ping succeeded, want a TLS failure")
	}
	t.Logf("error: %v", err)
	opErr, ok := errors.AsType[*docker.OpError](err)
	if !ok {
		t.Fatalf("error %T is not an *docker.OpError", err)
	}
	if !strings.HasPrefix(opErr.Cause, "TLS handshake failed: ") || !strings.Contains(opErr.Cause, cause) {
		t.Errorf("cause %q, want a TLS handshake failure naming %q", opErr.Cause, cause)
	}
	if !strings.Contains(err.Error(), cfg.Endpoint) {
		t.Errorf("error %q does not name the endpoint %s", err, cfg.Endpoint)
	}
}
