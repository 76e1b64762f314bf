package docker

import (
	"context"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
	"github.com/dockwatch/dockwatch/internal/fakefleet"
)

// TestPollsResumeTLSSessionsAndKeepFewConnectionsIdle polls a fake
// mutual-TLS Engine with 30 containers three times: only the first poll's
// connections may do full handshakes, later ones resume the daemon's
// session tickets; and after a poll at most idleConnsPerHost connections
// stay open.
func TestPollsResumeTLSSessionsAndKeepFewConnectionsIdle(t *testing.T) {
	certs := dockertest.NewCerts(t, dockertest.CertOptions{})
	serverTLS, err := fakefleet.ServerTLS(certs.CAPEM, certs.ServerCertPEM, certs.ServerKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := fakefleet.Start(fakefleet.Options{Hosts: 1, Containers: 30, TLS: serverTLS, Immediate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	c, err := New(Config{Endpoint: fleet.Daemons[0].Endpoint, TLS: &TLSMaterial{CA: certs.CAPEM, Cert: certs.CertPEM, Key: certs.KeyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if _, err := c.Snapshot(context.Background(), Selection{}); err != nil {
			t.Fatalf("poll %d: %v", i+1, err)
		}
		afterFirst := fleet.Counters()
		if i == 0 {
			// Wait for the first poll's session tickets to settle in the cache.
			time.Sleep(100 * time.Millisecond)
			t.Logf("after the first poll: %+v", afterFirst)
		}
	}
	got := fleet.Counters()
	t.Logf("after three polls: %+v", got)
	if got.ResumedHandshakes == 0 {
		t.Errorf("no resumed TLS handshakes in three polls: %+v", got)
	}
	if got.FullHandshakes > 31 {
		t.Errorf("%d full handshakes, want only the first poll's (at most 31): later polls must resume", got.FullHandshakes)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fleet.Counters().OpenConns > idleConnsPerHost && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if open := fleet.Counters().OpenConns; open > idleConnsPerHost {
		t.Errorf("%d connections open after the polls, want at most %d idle", open, idleConnsPerHost)
	}
}
