package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// runningManager is a dockwatch manager started by a test against the
// envtest API server, the way cmd/main.go wires it.
type runningManager struct {
	reconciler  *DockerHostReconciler
	alertEvents *AlertEventSink
	// metrics reads what a scrape of metricsHandler serves.
	metrics        prometheus.Gatherer
	metricsHandler http.Handler
	reconciles     *atomic.Int64
	stop           func()
}

// startManager runs a manager for scope until the test ends (or stop is
// called). Retries back off at most one second, so failure tests stay short.
// With agent options it runs in node mode, registering its node's host as
// cmd/main.go does.
func startManager(t *testing.T, scope Scope, agent ...NodeAgentOptions) *runningManager {
	t.Helper()
	return startManagerAs(t, cfg, scope, DialDocker, agent...)
}

// startManagerAs is startManager with the credentials of restConfig, to
// prove a manager can do its job with only the RBAC we ship.
func startManagerAs(t *testing.T, restConfig *rest.Config, scope Scope, dial Dialer, agent ...NodeAgentOptions) *runningManager {
	t.Helper()
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                 testScheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  scope.CacheOptions(),
		// Each test starts its own manager in this one process.
		Controller: config.Controller{SkipNameValidation: ptr(true)},
	})
	if err != nil {
		t.Fatalf("create manager: %v", err)
	}
	// As ctrl.GetConfig does in cmd/main.go: no client-side rate limit,
	// the API server's priority and fairness paces the client.
	unlimited := rest.CopyConfig(restConfig)
	unlimited.QPS = -1
	clientset := kubernetes.NewForConfigOrDie(unlimited)
	recorder, stopEvents := NewEventRecorder(clientset, testScheme, "dockwatch")
	registry := prometheus.NewRegistry()
	alertEvents := NewAlertEventSink(clientset.CoreV1(), testScheme, "dockwatch", registry)
	after := StartAfterManager(alertEvents) // as cmd/main.go: it stops after the manager
	t.Cleanup(after.Finish)
	metrics := NewMetrics(registry)
	r := &DockerHostReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(),
		Recorder: recorder, AlertEvents: alertEvents, Clock: clock.RealClock{},
		Connections: NewConnectionCache(dial), Alerts: NewAlertMemory(),
		Lifecycle: NewLifecycleMemory(), Metrics: metrics, Scope: scope,
	}
	counter := &countingReconciler{inner: r, count: &atomic.Int64{}}
	if err := counter.setup(mgr); err != nil {
		t.Fatalf("set up controller: %v", err)
	}
	for _, opts := range agent {
		nodeAgent, err := NewNodeAgent(mgr.GetClient(), mgr.GetAPIReader(), opts)
		if err != nil {
			t.Fatalf("create node agent: %v", err)
		}
		if err := mgr.Add(nodeAgent); err != nil {
			t.Fatalf("add node agent: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var stopped atomic.Bool
	stop := func() {
		if stopped.Swap(true) {
			return
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager stopped with an error: %v", err)
		}
		after.Finish()
		stopEvents()
	}
	t.Cleanup(stop)
	return &runningManager{reconciler: r, alertEvents: alertEvents, metrics: scraped(metrics, registry), metricsHandler: metrics.Handler(registry), reconciles: counter.count, stop: stop}
}

// startDaemon starts a real Docker daemon for a controller test, which also
// needs the control plane: either missing skips (outside CI) or fails.
func startDaemon(t *testing.T, opts dockertest.Options) *dockertest.Daemon {
	t.Helper()
	requireControlPlane(t)
	dockertest.Require(t)
	return dockertest.Start(t, opts)
}

// countingReconciler counts reconciles, to prove the controller does not hot-loop.
type countingReconciler struct {
	inner *DockerHostReconciler
	count *atomic.Int64
}

func (c *countingReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	c.count.Add(1)
	return c.inner.Reconcile(ctx, req)
}

// setup registers the counting wrapper with the same watches as the real one.
func (c *countingReconciler) setup(mgr ctrl.Manager) error {
	return c.inner.setupWithManager(mgr, Options{MaxConcurrentReconciles: 4, RetryMaxDelay: time.Second}, c)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
}

// getHost reads a DockerHost straight from the API server.
func getHost(t *testing.T, key client.ObjectKey) *dockwatchv1.DockerHost {
	t.Helper()
	host := &dockwatchv1.DockerHost{}
	if err := k8sClient.Get(context.Background(), key, host); err != nil {
		t.Fatalf("get DockerHost %s: %v", key, err)
	}
	return host
}

// waitCondition waits until the host's condition has the status (and, if
// given, the reason), returning the host as it was then.
func waitCondition(t *testing.T, key client.ObjectKey, condType string, status metav1.ConditionStatus, reason string, timeout time.Duration) *dockwatchv1.DockerHost {
	t.Helper()
	var host *dockwatchv1.DockerHost
	waitFor(t, timeout, fmt.Sprintf("%s %s=%s %s", key, condType, status, reason), func() (bool, string) {
		host = &dockwatchv1.DockerHost{}
		if err := k8sClient.Get(context.Background(), key, host); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(host.Status.Conditions, condType)
		if c == nil {
			return false, "no condition"
		}
		return c.Status == status && (reason == "" || c.Reason == reason), string(c.Status) + " " + c.Reason + ": " + c.Message
	})
	return host
}

// eventsFor lists the events about a host with the given reason.
func eventsFor(t *testing.T, key client.ObjectKey, reason string) []corev1.Event {
	t.Helper()
	var list corev1.EventList
	if err := k8sClient.List(context.Background(), &list, client.InNamespace(key.Namespace)); err != nil {
		t.Fatalf("list events: %v", err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == key.Name && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// applyHost creates a DockerHost with kubectl, as a user would.
func applyHost(t *testing.T, host *dockwatchv1.DockerHost) client.ObjectKey {
	t.Helper()
	host.APIVersion, host.Kind = dockwatchv1.GroupVersion.String(), "DockerHost"
	raw, err := json.Marshal(host)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := kubectlStdin(t, string(raw), "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply DockerHost: %v\n%s", err, out)
	}
	return client.ObjectKeyFromObject(host)
}

// createSecretFromDir makes the docker-machine Secret the way the README says:
// kubectl create secret generic --from-file=ca.pem --from-file=cert.pem --from-file=key.pem.
func createSecretFromDir(t *testing.T, ns, name, dir string) {
	t.Helper()
	out, err := kubectl(t, "create", "secret", "generic", name, "-n", ns,
		"--from-file="+dir+"/ca.pem", "--from-file="+dir+"/cert.pem", "--from-file="+dir+"/key.pem")
	if err != nil {
		t.Fatalf("kubectl create secret: %v\n%s", err, out)
	}
}

// describe summarises a host's status for failure messages.
func describe(host *dockwatchv1.DockerHost) string {
	var b strings.Builder
	for _, c := range host.Status.Conditions {
		fmt.Fprintf(&b, "%s=%s(%s: %s) ", c.Type, c.Status, c.Reason, c.Message)
	}
	if s := host.Status.Summary; s != nil {
		fmt.Fprintf(&b, "watched=%d cpu=%s alerts=%d/%d", s.ContainersWatched, s.CPU, s.AlertsFiring, s.AlertsPending)
	}
	return b.String()
}
