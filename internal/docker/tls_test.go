package docker

import (
	"context"
	"strings"
	"testing"
	"time"
)

// tlsWorld is a daemon with its own CA and a client certificate from it.
type tlsWorld struct {
	ca       *testCA
	client   leaf
	endpoint string
}

func newTLSWorld(t *testing.T) tlsWorld {
	ca := newTestCA(t, "dockwatch test CA")
	return tlsWorld{
		ca:       ca,
		client:   clientLeaf(t, ca, time.Time{}, time.Time{}),
		endpoint: startTLSDaemon(t, serverLeaf(t, ca, time.Time{}), ca),
	}
}

func TestTLSPingReportsTheVerifiedPeer(t *testing.T) {
	w := newTLSWorld(t)
	for _, ep := range []string{w.endpoint, strings.Replace(w.endpoint, "tcp://", "https://", 1)} {
		c := newTestClient(t, Config{Endpoint: ep, TLS: &TLSMaterial{CA: w.ca.pem, Cert: w.client.certPEM, Key: w.client.keyPEM}})
		info, err := c.Ping(context.Background())
		if err != nil {
			t.Fatalf("%s: Ping: %v", ep, err)
		}
		if want := "CN=dockerd SANs=localhost,127.0.0.1"; info.TLSPeer != want {
			t.Errorf("%s: TLSPeer = %q, want %q", ep, info.TLSPeer, want)
		}
		if snap, err := c.Snapshot(context.Background(), Selection{}); err != nil || len(snap.Containers) != 3 {
			t.Errorf("%s: Snapshot over TLS: %v", ep, err)
		}
	}
}

func TestTLSWithoutVerificationSaysSo(t *testing.T) {
	w := newTLSWorld(t)
	c := newTestClient(t, Config{Endpoint: w.endpoint, TLS: &TLSMaterial{
		Cert: w.client.certPEM, Key: w.client.keyPEM, InsecureSkipVerify: true}})
	info, err := c.Ping(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(info.TLSPeer, "(unverified)") {
		t.Errorf("TLSPeer = %q, want it marked unverified", info.TLSPeer)
	}
}

// handshakeCase is one misconfiguration and the cause it must be reported as.
type handshakeCase struct {
	name      string
	endpoint  string
	material  *TLSMaterial
	wantCause string
}

// handshakeFailureCases builds each way a TLS connection to w can fail.
func handshakeFailureCases(t *testing.T, w tlsWorld) []handshakeCase {
	otherCA := newTestCA(t, "someone else's CA")
	past := time.Now().Add(-48 * time.Hour)
	expiredClient := clientLeaf(t, w.ca, past, past.Add(time.Hour))
	strangerClient := clientLeaf(t, otherCA, time.Time{}, time.Time{})
	expiredServer := startTLSDaemon(t, serverLeaf(t, w.ca, past.Add(time.Hour)), w.ca)
	plainHTTP := func() string { _, ep := newFakeDaemon(t, "1.41"); return ep }()
	good := func() *TLSMaterial { return &TLSMaterial{CA: w.ca.pem, Cert: w.client.certPEM, Key: w.client.keyPEM} }

	return []handshakeCase{
		{name: "daemon certificate from an unknown CA", endpoint: w.endpoint,
			material:  &TLSMaterial{CA: otherCA.pem, Cert: w.client.certPEM, Key: w.client.keyPEM},
			wantCause: "server certificate signed by unknown authority"},
		{name: "https without CA uses system roots", endpoint: strings.Replace(w.endpoint, "tcp://", "https://", 1),
			wantCause: "server certificate signed by unknown authority"},
		{name: "daemon certificate expired", endpoint: expiredServer, material: good(),
			wantCause: "server certificate expired"},
		{name: "server name mismatch", endpoint: w.endpoint,
			material:  &TLSMaterial{CA: w.ca.pem, Cert: w.client.certPEM, Key: w.client.keyPEM, ServerName: "docker.example.com"},
			wantCause: `server name mismatch: the daemon's certificate is not valid for "docker.example.com"`},
		{name: "no client certificate", endpoint: w.endpoint, material: &TLSMaterial{CA: w.ca.pem},
			wantCause: "the daemon requires a client certificate and none was given"},
		{name: "client certificate expired", endpoint: w.endpoint,
			material:  &TLSMaterial{CA: w.ca.pem, Cert: expiredClient.certPEM, Key: expiredClient.keyPEM},
			wantCause: "the daemon rejected the client certificate: certificate expired"},
		{name: "client certificate from a CA the daemon does not trust", endpoint: w.endpoint,
			material:  &TLSMaterial{CA: w.ca.pem, Cert: strangerClient.certPEM, Key: strangerClient.keyPEM},
			wantCause: "the daemon does not trust the CA that signed the client certificate"},
		{name: "plaintext client to a TLS daemon", endpoint: w.endpoint,
			wantCause: "the daemon expects TLS"},
		{name: "TLS client to a plaintext daemon", endpoint: plainHTTP, material: good(),
			wantCause: "the daemon did not answer with TLS"},
	}
}

func TestTLSHandshakeFailuresNameTheCause(t *testing.T) {
	for _, tt := range handshakeFailureCases(t, newTLSWorld(t)) {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, Config{Endpoint: tt.endpoint, TLS: tt.material, Timeout: 5 * time.Second})
			_, err := c.Ping(context.Background())
			if err == nil {
				t.Fatal("Ping succeeded")
			}
			msg := err.Error()
			prefix := "ping daemon on " + tt.endpoint + ": TLS handshake failed: "
			if tt.material == nil && strings.HasPrefix(tt.endpoint, "tcp://") {
				// Plain HTTP to a TLS daemon: no handshake took place,
				// and the message must not claim one failed.
				prefix = "ping daemon on " + tt.endpoint + ": the daemon expects TLS, but the request was sent without it"
			}
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with what was done where and why", msg)
			}
			if !strings.Contains(msg, tt.wantCause) {
				t.Errorf("error %q\ndoes not name the cause %q", msg, tt.wantCause)
			}
			if cause := TLSFailureCause(err); !strings.Contains(cause, tt.wantCause) {
				t.Errorf("TLSFailureCause = %q, want %q", cause, tt.wantCause)
			}
		})
	}
}

func TestTLSFailureCauseIgnoresOtherErrors(t *testing.T) {
	if cause := TLSFailureCause(nil); cause != "" {
		t.Errorf("TLSFailureCause(nil) = %q", cause)
	}
	if cause := TLSFailureCause(context.DeadlineExceeded); cause != "" {
		t.Errorf("TLSFailureCause(deadline) = %q", cause)
	}
}
