package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewValidatesTheEndpoint(t *testing.T) {
	tests := []struct {
		endpoint    string
		wantInError string // "" = valid
	}{
		{"unix:///var/run/docker.sock", ""},
		{"tcp://127.0.0.1:2376", ""},
		{"tcp://[::1]:2375", ""},
		{"https://127.0.0.1:2376", ""},
		{"tcp://localhost:2376/", ""},
		{"", "endpoint is empty"},
		{"127.0.0.1:2376", "has no scheme: use unix://"},
		{"http://127.0.0.1:2375", `unsupported scheme "http"`},
		{"ssh://me@host", `unsupported scheme "ssh"`},
		{"unix://var/run/docker.sock", "needs an absolute path"},
		{"unix://", "needs an absolute path"},
		{"tcp://127.0.0.1", "needs a host and a port"},
		{"tcp://:2376", "needs a host and a port"},
		{"tcp://127.0.0.1:99999", `port "99999"`},
		{"tcp://127.0.0.1:docker", `invalid port ":docker"`},
		{"tcp://127.0.0.1:2376/v1.41", "no path"},
		{"tcp://user:pw@127.0.0.1:2376", "no path, query or user"},
	}
	for _, tt := range tests {
		_, err := New(Config{Endpoint: tt.endpoint})
		switch {
		case tt.wantInError == "" && err != nil:
			t.Errorf("New(%q): %v", tt.endpoint, err)
		case tt.wantInError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantInError)):
			t.Errorf("New(%q) error %v, want it to contain %q", tt.endpoint, err, tt.wantInError)
		}
	}
}

func TestNewValidatesTLSMaterialNamingThePart(t *testing.T) {
	ca := newTestCA(t, "ca")
	client := clientLeaf(t, ca, time.Time{}, time.Time{})
	other := clientLeaf(t, ca, time.Time{}, time.Time{})
	corruptKey := []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
	tests := []struct {
		name        string
		material    TLSMaterial
		wantInError string
	}{
		{"CA is not PEM", TLSMaterial{CA: []byte("LS0tLS1CRUdJTi...")}, "TLS CA (ca.pem): no PEM certificate found"},
		{"CA file holds a key", TLSMaterial{CA: client.keyPEM}, `TLS CA (ca.pem): PEM block 1 is a "EC PRIVATE KEY", want CERTIFICATE`},
		{"CA certificate corrupt", TLSMaterial{CA: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}, "TLS CA (ca.pem): certificate 1 does not parse"},
		{"certificate without key", TLSMaterial{CA: ca.pem, Cert: client.certPEM}, "client certificate (cert.pem) given without its private key (key.pem)"},
		{"key without certificate", TLSMaterial{CA: ca.pem, Key: client.keyPEM}, "client key (key.pem) given without its certificate (cert.pem)"},
		{"certificate is not PEM", TLSMaterial{Cert: []byte("garbage"), Key: client.keyPEM}, "TLS client certificate (cert.pem): no PEM certificate found"},
		{"key file holds the certificate", TLSMaterial{Cert: client.certPEM, Key: client.certPEM}, `TLS client key (key.pem): PEM block is a "CERTIFICATE", want a PRIVATE KEY`},
		{"key is not PEM", TLSMaterial{Cert: client.certPEM, Key: []byte("secret")}, "TLS client key (key.pem): no PEM private key found"},
		{"key does not match certificate", TLSMaterial{Cert: client.certPEM, Key: other.keyPEM}, "TLS client key (key.pem) does not match the client certificate (cert.pem)"},
		{"key corrupt", TLSMaterial{Cert: client.certPEM, Key: corruptKey}, "TLS client key (key.pem) is not usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Endpoint: "tcp://127.0.0.1:2376", TLS: &tt.material})
			if err == nil {
				t.Fatal("New accepted bad TLS material")
			}
			if !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.wantInError)
			}
			assertNoKeyMaterial(t, err.Error(), tt.material.Key)
		})
	}
}

// assertNoKeyMaterial fails if any base64 line of a key appears in msg.
func assertNoKeyMaterial(t *testing.T, msg string, keyPEM []byte) {
	t.Helper()
	for _, line := range bytes.Split(keyPEM, []byte("\n")) {
		if len(line) >= 8 && !bytes.HasPrefix(line, []byte("-----")) && strings.Contains(msg, string(line)) {
			t.Fatalf("error %q contains key material", msg)
		}
	}
}

func TestNewRejectsTLSOnUnixSocketsAndBadVersions(t *testing.T) {
	tests := []struct {
		cfg         Config
		wantInError string
		wantTooOld  bool
	}{
		{Config{Endpoint: "unix:///var/run/docker.sock", TLS: &TLSMaterial{}}, "TLS settings given for a unix socket", false},
		{Config{Endpoint: "tcp://127.0.0.1:2375", APIVersion: "latest"}, `API version "latest" is not of the form 1.41`, false},
		{Config{Endpoint: "tcp://127.0.0.1:2375", APIVersion: "1.19"}, "pinned API version 1.19 is older than 1.24", true},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.wantInError) {
			t.Errorf("New(%+v) error %v, want %q", tt.cfg, err, tt.wantInError)
		}
		if tt.wantTooOld && !errors.Is(err, ErrAPITooOld) {
			t.Errorf("error %v does not wrap ErrAPITooOld", err)
		}
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	c, err := New(Config{Endpoint: "tcp://127.0.0.1:2375"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.timeout != DefaultTimeout || c.maxStats != DefaultMaxConcurrentStats || c.Endpoint() != "tcp://127.0.0.1:2375" {
		t.Errorf("timeout %v, max stats %d, endpoint %s", c.timeout, c.maxStats, c.Endpoint())
	}
}

func TestPingRejectsDaemonAPIOlderThanMinimum(t *testing.T) {
	_, endpoint := newFakeDaemon(t, "1.23")
	c := newTestClient(t, Config{Endpoint: endpoint})
	_, err := c.Ping(context.Background())
	if !errors.Is(err, ErrAPITooOld) {
		t.Fatalf("Ping error %v, want ErrAPITooOld", err)
	}
	for _, want := range []string{"ping daemon on " + endpoint, "API 1.23", "older than 1.24", "upgrade the daemon"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestUnreachableDaemonsGiveActionableErrors(t *testing.T) {
	tests := []struct {
		endpoint string
		want     []string
	}{
		{"tcp://127.0.0.1:1", []string{"ping daemon on tcp://127.0.0.1:1: connection refused", "is the daemon running"}},
		{"unix://" + filepath.Join(t.TempDir(), "docker.sock"), []string{": socket not found", "no such file"}},
	}
	for _, tt := range tests {
		c := newTestClient(t, Config{Endpoint: tt.endpoint, Timeout: 2 * time.Second})
		_, err := c.Snapshot(context.Background(), Selection{})
		if err == nil {
			t.Fatalf("%s: Snapshot succeeded", tt.endpoint)
		}
		var opErr *OpError
		if !errors.As(err, &opErr) || opErr.Endpoint != tt.endpoint || opErr.Cause == "" {
			t.Errorf("%s: error %#v, want an *OpError with endpoint and cause", tt.endpoint, err)
		}
		for _, want := range tt.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not contain %q", tt.endpoint, err, want)
			}
		}
	}
}

func TestIsTLSMaterialErrorTellsTLSMaterialFromOtherConfigErrors(t *testing.T) {
	ca := newTestCA(t, "ca")
	client := clientLeaf(t, ca, time.Time{}, time.Time{})
	other := clientLeaf(t, ca, time.Time{}, time.Time{})
	tcp := "tcp://127.0.0.1:2376"
	tests := []struct {
		name string
		cfg  Config
		want bool
	}{
		{"bad CA PEM", Config{Endpoint: tcp, TLS: &TLSMaterial{CA: []byte("not pem")}}, true},
		{"certificate without key", Config{Endpoint: tcp, TLS: &TLSMaterial{Cert: client.certPEM}}, true},
		{"key not matching certificate", Config{Endpoint: tcp, TLS: &TLSMaterial{Cert: client.certPEM, Key: other.keyPEM}}, true},
		{"bad endpoint", Config{Endpoint: "http://127.0.0.1:2375"}, false},
		{"TLS on a unix socket", Config{Endpoint: "unix:///var/run/docker.sock", TLS: &TLSMaterial{}}, false},
		{"bad API version pin", Config{Endpoint: tcp, APIVersion: "latest"}, false},
		{"API version pin too old", Config{Endpoint: tcp, APIVersion: "1.19"}, false},
		{"unknown stats source", Config{Endpoint: tcp, StatsSource: "procfs"}, false},
		{"cgroup source over tcp", Config{Endpoint: tcp, StatsSource: StatsSourceCgroup}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatal("New accepted a bad configuration")
			}
			if got := IsTLSMaterialError(err); got != tt.want {
				t.Errorf("IsTLSMaterialError(%q) = %v, want %v", err, got, tt.want)
			}
			if !tt.want {
				return
			}
			_, plain := tt.cfg.TLS.clientConfig()
			if plain == nil || err.Error() != plain.Error() {
				t.Errorf("error text %q, want the TLS material's own %v", err, plain)
			}
			if wrapped := fmt.Errorf("resolve TLS: %w", err); !IsTLSMaterialError(wrapped) {
				t.Errorf("IsTLSMaterialError(%q) = false through a %%w wrap", wrapped)
			}
		})
	}
	if IsTLSMaterialError(nil) {
		t.Error("IsTLSMaterialError(nil) = true")
	}
}
