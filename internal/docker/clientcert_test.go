package docker

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

func TestClientCertProblemNamesWhatTheDaemonWillReject(t *testing.T) {
	good := dockertest.NewCerts(t, dockertest.CertOptions{})
	expired := dockertest.ExpiredClientCerts(t, good.CA)
	early := dockertest.NewCerts(t, dockertest.CertOptions{CA: good.CA, ClientNotYetValid: true})
	foreign := dockertest.WrongCACerts(t)
	tests := []struct {
		name string
		m    *TLSMaterial
		want string // "" = nothing wrong on our side
	}{
		{"valid pair", &TLSMaterial{CA: good.CAPEM, Cert: good.CertPEM, Key: good.KeyPEM}, ""},
		{"no certificate", &TLSMaterial{CA: good.CAPEM}, "no client certificate was given"},
		{"expired", &TLSMaterial{CA: good.CAPEM, Cert: expired.CertPEM, Key: expired.KeyPEM}, "expired on "},
		{"not yet valid", &TLSMaterial{CA: good.CAPEM, Cert: early.CertPEM, Key: early.KeyPEM}, "not valid before"},
		{"another CA", &TLSMaterial{CA: good.CAPEM, Cert: foreign.CertPEM, Key: foreign.KeyPEM}, "not signed by the CA in ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clientCertProblem(tt.m, time.Now())
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("problem = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExplainClientCertOnlyRewritesClientRejections(t *testing.T) {
	rejected := &OpError{Op: "ping daemon", Endpoint: "tcp://127.0.0.1:2376",
		Cause: "TLS handshake failed: the daemon rejected the client certificate (bad certificate: missing, or not signed by a CA it trusts)",
		Err:   errors.New("remote error: tls: bad certificate")}
	noCert := &TLSMaterial{CA: []byte("ca")}
	got := explainClientCert(rejected, noCert, time.Now()).Error()
	want := "ping daemon on tcp://127.0.0.1:2376: TLS handshake failed: no client certificate was given"
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "remote error: tls: bad certificate") {
		t.Errorf("explained error = %q", got)
	}
	ours := &OpError{Op: "ping daemon", Endpoint: "x", Cause: "TLS handshake failed: server certificate signed by unknown authority", Err: errors.New("x509")}
	if got := explainClientCert(ours, noCert, time.Now()); got != ours {
		t.Errorf("a failure on our side was rewritten: %v", got)
	}
	if got := explainClientCert(rejected, nil, time.Now()); got != rejected {
		t.Errorf("rewritten without TLS material: %v", got)
	}
	specific := &OpError{Op: "ping daemon", Endpoint: "x", Cause: "TLS handshake failed: the daemon rejected the client certificate: certificate expired", Err: errors.New("remote error: tls: expired certificate")}
	if got := explainClientCert(specific, noCert, time.Now()); got != specific {
		t.Errorf("a daemon's specific answer was rewritten: %v", got)
	}
}
