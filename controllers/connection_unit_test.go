package controllers

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// Unit tests for the client cache (connection.go).

func fingerprintHost() *dockwatchv1.DockerHost {
	return &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "host", Generation: 1},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: "tcp://10.0.0.5:2376",
			TLS:      &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "certs"}, ServerName: "docker.example"},
			Interval: dur("30s"),
			Thresholds: []dockwatchv1.ThresholdRule{
				{Name: "high-cpu", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(80)},
			},
		},
	}
}

func TestConnectionFingerprintChangesWithWhatTheClientIsBuiltFrom(t *testing.T) {
	base := connectionFingerprint(fingerprintHost(), "100")
	tests := []struct {
		name          string
		edit          func(h *dockwatchv1.DockerHost)
		secretVersion string
		wantChanged   bool
	}{
		{"nothing changed", func(*dockwatchv1.DockerHost) {}, "100", false},
		{"endpoint", func(h *dockwatchv1.DockerHost) { h.Spec.Endpoint = "tcp://10.0.0.6:2376" }, "100", true},
		{"TLS server name", func(h *dockwatchv1.DockerHost) { h.Spec.TLS.ServerName = "other.example" }, "100", true},
		{"TLS insecureSkipVerify", func(h *dockwatchv1.DockerHost) { h.Spec.TLS.InsecureSkipVerify = true }, "100", true},
		{"TLS Secret name", func(h *dockwatchv1.DockerHost) { h.Spec.TLS.SecretRef.Name = "certs-2" }, "100", true},
		{"TLS removed", func(h *dockwatchv1.DockerHost) { h.Spec.TLS = nil }, "100", true},
		{"rotated Secret", func(*dockwatchv1.DockerHost) {}, "101", true},
		{"API version pin", func(h *dockwatchv1.DockerHost) { h.Spec.APIVersion = "1.41" }, "100", true},
		{"explicit timeout", func(h *dockwatchv1.DockerHost) { h.Spec.Timeout = dur("3s") }, "100", true},
		{"explicit timeout equal to the default", func(h *dockwatchv1.DockerHost) { h.Spec.Timeout = dur("10s") }, "100", false},
		{"interval below 10s shortens the default timeout", func(h *dockwatchv1.DockerHost) { h.Spec.Interval = dur("5s") }, "100", true},
		{"interval above 10s keeps the timeout", func(h *dockwatchv1.DockerHost) { h.Spec.Interval = dur("2m") }, "100", false},
		{"thresholds", func(h *dockwatchv1.DockerHost) { h.Spec.Thresholds[0].Above = intstr.FromInt32(90) }, "100", false},
		{"container selection", func(h *dockwatchv1.DockerHost) { h.Spec.Containers.Include = []string{"web-*"} }, "100", false},
		{"suspend and status bound", func(h *dockwatchv1.DockerHost) { h.Spec.Suspend, h.Spec.MaxContainersInStatus = true, 5 }, "100", false},
		{"generation and labels", func(h *dockwatchv1.DockerHost) { h.Generation, h.Labels = 9, map[string]string{"a": "b"} }, "100", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := fingerprintHost()
			tt.edit(host)
			got := connectionFingerprint(host, tt.secretVersion)
			if changed := got != base; changed != tt.wantChanged {
				t.Errorf("fingerprint changed = %v, want %v", changed, tt.wantChanged)
			}
			if again := connectionFingerprint(host, tt.secretVersion); again != got {
				t.Errorf("fingerprint is not stable: %s then %s", got, again)
			}
		})
	}
}

// fakeHostClient is a HostClient that records Close.
type fakeHostClient struct {
	id     int
	closed int
}

func (f *fakeHostClient) Snapshot(context.Context, docker.Selection) (*docker.Snapshot, error) {
	return &docker.Snapshot{}, nil
}

func (f *fakeHostClient) Close() error { f.closed++; return nil }

// fakeDialer hands out numbered fakeHostClients and records their configs.
type fakeDialer struct {
	dialed  []*fakeHostClient
	configs []docker.Config
	err     error
}

func (d *fakeDialer) dial(cfg docker.Config) (HostClient, error) {
	if d.err != nil {
		return nil, d.err
	}
	c := &fakeHostClient{id: len(d.dialed) + 1}
	d.dialed = append(d.dialed, c)
	d.configs = append(d.configs, cfg)
	return c, nil
}

func TestConnectionCacheReusesClientUntilFingerprintChanges(t *testing.T) {
	d := &fakeDialer{}
	cache := NewConnectionCache(d.dial)
	key := client.ObjectKey{Namespace: "ns", Name: "host"}
	other := client.ObjectKey{Namespace: "ns", Name: "other"}

	if got := cache.Lookup(key, "fp1"); got != nil {
		t.Fatalf("empty cache returned %v", got)
	}
	cfg := docker.Config{Endpoint: "tcp://10.0.0.5:2376", Timeout: 5 * time.Second}
	first, err := cache.Connect(key, "fp1", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d.configs[0] != cfg {
		t.Errorf("dialled with %+v, want %+v", d.configs[0], cfg)
	}
	if got := cache.Lookup(key, "fp1"); got != first {
		t.Errorf("Lookup with the same fingerprint = %v, want the cached client", got)
	}
	if got := cache.Lookup(key, "fp2"); got != nil {
		t.Errorf("Lookup with a new fingerprint = %v, want nil", got)
	}
	if got := cache.Lookup(other, "fp1"); got != nil {
		t.Errorf("Lookup of another host = %v, want nil", got)
	}

	second, err := cache.Connect(key, "fp2", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d.dialed[0].closed != 1 || d.dialed[1].closed != 0 {
		t.Errorf("closed counts after replacement = %d, %d; want 1, 0", d.dialed[0].closed, d.dialed[1].closed)
	}
	if got := cache.Lookup(key, "fp2"); got != second || cache.Len() != 1 {
		t.Errorf("Lookup = %v, Len = %d; want the new client and 1", got, cache.Len())
	}

	cache.Forget(key)
	if d.dialed[1].closed != 1 || cache.Len() != 0 || cache.Lookup(key, "fp2") != nil {
		t.Errorf("Forget left closed=%d len=%d", d.dialed[1].closed, cache.Len())
	}
	cache.Forget(key) // forgetting an unknown host is harmless
	if d.dialed[1].closed != 1 {
		t.Errorf("second Forget closed the client again")
	}
}

func TestConnectionCacheKeepsTheOldClientWhenDialFails(t *testing.T) {
	d := &fakeDialer{}
	cache := NewConnectionCache(d.dial)
	key := client.ObjectKey{Namespace: "ns", Name: "host"}
	old, _ := cache.Connect(key, "fp1", docker.Config{})

	d.err = errors.New("bad certificate")
	if got, err := cache.Connect(key, "fp2", docker.Config{}); err == nil || got != nil {
		t.Fatalf("Connect = %v, %v; want the dial error", got, err)
	}
	if d.dialed[0].closed != 0 || cache.Lookup(key, "fp1") != old {
		t.Errorf("failed dial closed or dropped the working client")
	}
}

func TestNewConnectionCacheDefaultsToTheDockerDialer(t *testing.T) {
	if cache := NewConnectionCache(nil); cache.dial == nil {
		t.Fatal("no dialer")
	}
}
