package docker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
	"github.com/dockwatch/dockwatch/internal/fakefleet"
)

func TestKeyShareOffersOnlyTheGroupAVerifiedDaemonChose(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	verified := [][]*x509.Certificate{{}}
	type step struct {
		at       time.Duration
		state    *tls.ConnectionState // observed at `at`, when set
		wantPref []tls.CurveID        // preferences at `at`, after observing
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"nothing learned: Go's defaults", []step{{at: 0, wantPref: nil}}},
		{"a verified handshake teaches its group", []step{
			{at: 0, state: &tls.ConnectionState{CurveID: tls.X25519, VerifiedChains: verified}, wantPref: []tls.CurveID{tls.X25519}},
			{at: 30 * time.Minute, wantPref: []tls.CurveID{tls.X25519}},
		}},
		{"an unverified handshake teaches nothing", []step{
			{at: 0, state: &tls.ConnectionState{CurveID: tls.X25519}, wantPref: nil},
		}},
		{"no group reported (TLS 1.2 without ECDHE) teaches nothing", []step{
			{at: 0, state: &tls.ConnectionState{VerifiedChains: verified}, wantPref: nil},
		}},
		{"the group expires an hour after it was learned, even if confirmed since", []step{
			{at: 0, state: &tls.ConnectionState{CurveID: tls.X25519, VerifiedChains: verified}, wantPref: []tls.CurveID{tls.X25519}},
			{at: 50 * time.Minute, state: &tls.ConnectionState{CurveID: tls.X25519, VerifiedChains: verified}, wantPref: []tls.CurveID{tls.X25519}},
			{at: time.Hour, wantPref: nil},
		}},
		{"after expiry the daemon's new choice is learned", []step{
			{at: 0, state: &tls.ConnectionState{CurveID: tls.X25519, VerifiedChains: verified}, wantPref: []tls.CurveID{tls.X25519}},
			{at: 2 * time.Hour, state: &tls.ConnectionState{CurveID: tls.X25519MLKEM768, VerifiedChains: verified}, wantPref: []tls.CurveID{tls.X25519MLKEM768}},
			{at: 2*time.Hour + time.Minute, wantPref: []tls.CurveID{tls.X25519MLKEM768}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k keyShare
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if s.state != nil {
					k.observe(*s.state, now)
				}
				if got := k.preferences(now); !slices.Equal(got, s.wantPref) {
					t.Errorf("step %d: preferences %v, want %v", i, got, s.wantPref)
				}
			}
		})
	}
}

// TestPollsStopOfferingTheHybridGroupAnEngine2010Ignores polls a fake
// mutual-TLS Engine that negotiates as Engine 20.10 does (no post-quantum
// group): once one verified handshake has shown the daemon picks X25519,
// later connections offer only X25519, so they skip the ML-KEM key
// generation. Without verification the client keeps Go's defaults.
func TestPollsStopOfferingTheHybridGroupAnEngine2010Ignores(t *testing.T) {
	certs := dockertest.NewCerts(t, dockertest.CertOptions{})
	serverTLS, err := fakefleet.ServerTLS(certs.CAPEM, certs.ServerCertPEM, certs.ServerKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		material   TLSMaterial
		wantLearnt bool
	}{
		{"verified daemon", TLSMaterial{CA: certs.CAPEM, Cert: certs.CertPEM, Key: certs.KeyPEM}, true},
		{"insecureSkipVerify", TLSMaterial{Cert: certs.CertPEM, Key: certs.KeyPEM, InsecureSkipVerify: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fleet, err := fakefleet.Start(fakefleet.Options{Hosts: 1, Containers: 20, TLS: serverTLS, Immediate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer fleet.Close()
			material := tc.material
			c, err := New(Config{Endpoint: fleet.Daemons[0].Endpoint, TLS: &material, Spread: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var afterFirst fakefleet.Counters
			for i := range 3 {
				if _, err := c.Snapshot(context.Background(), Selection{}); err != nil {
					t.Fatalf("poll %d: %v", i+1, err)
				}
				if i == 0 {
					afterFirst = fleet.Counters()
				}
			}
			got := fleet.Counters()
			t.Logf("after the first poll: %+v; after three: %+v", afterFirst, got)
			if afterFirst.HybridOffers == 0 {
				t.Fatalf("the first poll offered no hybrid group: the test cannot see the difference")
			}
			learnt := got.HybridOffers == afterFirst.HybridOffers
			if learnt != tc.wantLearnt {
				t.Errorf("hybrid offers %d after the first poll, %d after three (handshakes %d): learned %v, want %v",
					afterFirst.HybridOffers, got.HybridOffers, got.FullHandshakes+got.ResumedHandshakes, learnt, tc.wantLearnt)
			}
		})
	}
}

// Connections share one handshake configuration until the key share to
// offer changes; it names the server and keeps the session cache.
func TestDialsShareOneConfigUntilTheOfferChanges(t *testing.T) {
	cache := tls.NewLRUClientSessionCache(4)
	d := &tlsDialer{config: &tls.Config{ClientSessionCache: cache, MinVersion: tls.VersionTLS12}}
	now := time.Now()
	first := d.configFor("127.0.0.1:2376", now)
	if first.ServerName != "127.0.0.1" || first.CurvePreferences != nil || first.ClientSessionCache != cache {
		t.Fatalf("first config: server %q, groups %v, own cache %v; want 127.0.0.1, Go's defaults, the shared cache",
			first.ServerName, first.CurvePreferences, first.ClientSessionCache != cache)
	}
	if again := d.configFor("127.0.0.1:2376", now); again != first {
		t.Error("a second dial with the same offer made a new config")
	}
	d.share.group, d.share.learned = tls.X25519, now
	pinned := d.configFor("127.0.0.1:2376", now)
	if pinned == first || len(pinned.CurvePreferences) != 1 || pinned.CurvePreferences[0] != tls.X25519 {
		t.Errorf("after learning X25519: groups %v (same config %v); want only X25519 in a new config", pinned.CurvePreferences, pinned == first)
	}
	if expired := d.configFor("127.0.0.1:2376", now.Add(keyShareTTL)); expired.CurvePreferences != nil {
		t.Errorf("after keyShareTTL: groups %v, want Go's defaults again", expired.CurvePreferences)
	}
	if other := d.configFor("[::1]:2376", now.Add(keyShareTTL)); other.ServerName != "::1" {
		t.Errorf("another address: server %q, want ::1", other.ServerName)
	}
}
