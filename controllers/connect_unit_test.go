package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// Unit tests for the connect and poll steps (target.go, dockerhost_controller.go)
// against controller-runtime's in-memory client instead of an API server.

func tlsHost() *dockwatchv1.DockerHost {
	host := unitHost(1)
	host.Spec.TLS = &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "certs"}, ServerName: "docker.example"}
	return host
}

func certsSecret(data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "certs"}, Data: data}
}

func connectReconciler(d *fakeDialer, objs ...client.Object) (*DockerHostReconciler, client.Client) {
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(objs...).Build()
	return &DockerHostReconciler{Client: c, APIReader: c, Connections: NewConnectionCache(d.dial)}, c
}

func TestConnectBuildsClientFromSecretAndReusesIt(t *testing.T) {
	d := &fakeDialer{}
	host := tlsHost()
	r, c := connectReconciler(d, certsSecret(map[string][]byte{"ca.crt": caPEM, "tls.crt": certPEM, "tls.key": keyPEM}))
	ctx := context.Background()

	conn, sel, _, err := r.connect(ctx, host)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if sel.All || sel.Labels != nil {
		t.Errorf("selection = %+v, want every running container", sel)
	}
	cfg := d.configs[0]
	if cfg.Endpoint != host.Spec.Endpoint || cfg.Timeout != 10*time.Second || cfg.TLS == nil ||
		string(cfg.TLS.CA) != string(caPEM) || string(cfg.TLS.Key) != string(keyPEM) || cfg.TLS.ServerName != "docker.example" {
		t.Errorf("dialled with %+v", cfg)
	}
	if again, _, reused, _ := r.connect(ctx, host); again != conn || !reused || len(d.dialed) != 1 {
		t.Errorf("second connect dialled again (%d dials)", len(d.dialed))
	}

	// Rotating the Secret changes its resourceVersion: a new client replaces the old.
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "ns", Name: "certs"}, secret); err != nil {
		t.Fatal(err)
	}
	secret.Data["tls.crt"] = fakePEM("CERTIFICATE", "FAKE-ROTATED-CERT-0005")
	if err := c.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	rotated, _, _, err := r.connect(ctx, host)
	if err != nil || rotated == conn || len(d.dialed) != 2 || d.dialed[0].closed != 1 {
		t.Errorf("after rotation: err %v, new client %v, dials %d, old closed %d", err, rotated != conn, len(d.dialed), d.dialed[0].closed)
	}
}

func TestConnectWithoutTLSNeedsNoSecret(t *testing.T) {
	d := &fakeDialer{}
	r, _ := connectReconciler(d)
	host := unitHost(1)
	host.Spec.Endpoint, host.Spec.Interval = "unix:///var/run/docker.sock", dur("5s")
	if _, _, _, err := r.connect(context.Background(), host); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if cfg := d.configs[0]; cfg.TLS != nil || cfg.Timeout != 5*time.Second {
		t.Errorf("dialled with %+v, want no TLS and the interval as timeout", cfg)
	}
}

func TestConnectReportsConfigProblemsAsConfigErrors(t *testing.T) {
	badSelector := tlsHost()
	badSelector.Spec.Containers.Include = []string{"web-["}
	tests := []struct {
		name       string
		host       *dockwatchv1.DockerHost
		objs       []client.Object
		dialErr    error
		wantReason string
		wantMsg    string
	}{
		{"invalid selector", badSelector, nil, nil, dockwatchv1.ReasonInvalidSpec, "spec.containers"},
		{"missing Secret", tlsHost(), nil, nil, dockwatchv1.ReasonTLSConfigError, "Secret ns/certs referenced by spec.tls.secretRef not found"},
		{"Secret without the client key", tlsHost(), []client.Object{certsSecret(map[string][]byte{"tls.crt": certPEM})}, nil,
			dockwatchv1.ReasonTLSConfigError, "has tls.crt but no client key"},
		{"engine refuses the spec", tlsHost(), []client.Object{certsSecret(map[string][]byte{"ca.pem": caPEM, "cert.pem": certPEM, "key.pem": keyPEM})}, errors.New("pinned API version 1.12 is older than 1.24"),
			dockwatchv1.ReasonInvalidSpec, "cannot connect to tcp://10.0.0.5:2376 as configured: pinned API version 1.12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDialer{err: tt.dialErr}
			r, _ := connectReconciler(d, tt.objs...)
			_, _, _, err := r.connect(context.Background(), tt.host)
			var cfgErr *configError
			if !errors.As(err, &cfgErr) || cfgErr.reason != tt.wantReason || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %v, want a %s configError containing %q", err, tt.wantReason, tt.wantMsg)
			}
			if r.Connections.Len() != 0 {
				t.Errorf("a client was cached despite the error")
			}
		})
	}
}

// snapshotFunc is a HostClient whose Snapshot runs a test function.
type snapshotFunc func(ctx context.Context) (*docker.Snapshot, error)

func (f snapshotFunc) Snapshot(ctx context.Context, _ docker.Selection) (*docker.Snapshot, error) {
	return f(ctx)
}

func (f snapshotFunc) Close() error { return nil }

func TestPollBoundsTheSnapshotByTheTimeoutAndMeasuresIt(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakePassiveClock(start)
	r := &DockerHostReconciler{Clock: clk}
	host := unitHost(1)
	host.Spec.Timeout = dur("3s")

	var deadlineIn time.Duration
	conn := snapshotFunc(func(ctx context.Context) (*docker.Snapshot, error) {
		deadline, _ := ctx.Deadline()
		deadlineIn = time.Until(deadline)
		clk.SetTime(start.Add(1200 * time.Millisecond))
		return &docker.Snapshot{Running: 1}, nil
	})
	snap, took, err := r.poll(context.Background(), host, conn, docker.Selection{})
	if err != nil || snap.Running != 1 || took != 1200*time.Millisecond {
		t.Errorf("poll = %v, %v, %v", snap, took, err)
	}
	if deadlineIn <= 2*time.Second || deadlineIn > 3*time.Second {
		t.Errorf("snapshot deadline in %v, want about 3s", deadlineIn)
	}

	failing := snapshotFunc(func(context.Context) (*docker.Snapshot, error) { return nil, errors.New("refused") })
	if _, _, err := r.poll(context.Background(), host, failing, docker.Selection{}); err == nil {
		t.Error("a failed snapshot did not fail the poll")
	}
}

// TestConnectBlamesTheSecretOnlyForItsTLSMaterial builds real clients: a
// certificate that does not parse is the Secret's fault (TLSConfigError,
// naming it); the same Secret with a usable pair but an endpoint the engine
// refuses is the spec's (InvalidSpec).
func TestConnectBlamesTheSecretOnlyForItsTLSMaterial(t *testing.T) {
	notACert := []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(
		certsSecret(map[string][]byte{"ca.pem": notACert, "cert.pem": certPEM, "key.pem": keyPEM})).Build()
	r := &DockerHostReconciler{Client: c, APIReader: c, Connections: NewConnectionCache(DialDocker)}
	_, _, _, err := r.connect(context.Background(), tlsHost())
	var cfgErr *configError
	if !errors.As(err, &cfgErr) || cfgErr.reason != dockwatchv1.ReasonTLSConfigError || !strings.Contains(err.Error(), "Secret ns/certs") {
		t.Fatalf("unparseable CA: %v, want a TLSConfigError naming Secret ns/certs", err)
	}

	badPin := tlsHost()
	badPin.Spec.TLS.SecretRef = nil
	badPin.Spec.APIVersion = "1.12"
	_, _, _, err = r.connect(context.Background(), badPin)
	if !errors.As(err, &cfgErr) || cfgErr.reason != dockwatchv1.ReasonInvalidSpec || strings.Contains(err.Error(), "Secret") {
		t.Fatalf("API pin below the minimum: %v, want an InvalidSpec that does not blame a Secret", err)
	}
}
