package controllers

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestHungDaemonDoesNotDelayOtherHosts has daemons that accept connections
// and never answer beside a healthy one: the hung hosts time out and turn
// Unreachable, while the healthy host keeps polling on its interval.
func TestHungDaemonDoesNotDelayOtherHosts(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	startManager(t, Scope{})
	healthy := dockertest.NewFakeAPI(t, "ok", 3)
	var hungKeys []string
	for _, name := range []string{"hung-1", "hung-2", "hung-3"} {
		hung := dockertest.NewFakeAPI(t, name, 1)
		hung.SetHang(true)
		key := applyHost(t, plaintextHost(ns, name, hung.Host, "3s"))
		hungKeys = append(hungKeys, key.Name)
	}
	healthyKey := applyHost(t, plaintextHost(ns, "healthy", healthy.Host, "2s"))

	waitCondition(t, healthyKey, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", 20*time.Second)
	polls := map[time.Time]bool{}
	deadline := time.Now().Add(21 * time.Second)
	for time.Now().Before(deadline) {
		if host := getHost(t, healthyKey); host.Status.LastPollTime != nil {
			polls[host.Status.LastPollTime.Time] = true
		}
		time.Sleep(500 * time.Millisecond)
	}
	// A 5s interval over 21s is 4 polls (jitter may cost one); hung
	// neighbours must not hold them up.
	if len(polls) < 3 {
		t.Errorf("healthy host polled %d times in 21s beside hung daemons, want at least 3", len(polls))
	}
	for _, name := range hungKeys {
		hung := getHost(t, client.ObjectKey{Namespace: ns, Name: name})
		c := condition(hung, dockwatchv1.ConditionReachable)
		if c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "within") {
			t.Errorf("hung host %s: Reachable=%s %q, want False with a timeout message", name, c.Status, c.Message)
		}
	}
}

// TestInvalidSpecWaitsForAFix gives a label selector the API server does
// not check (Exists with values; admission checks only the operator) but
// the controller cannot use: the host reports InvalidSpec with one
// event and is not retried until the spec changes.
func TestInvalidSpecWaitsForAFix(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	mgr := startManager(t, Scope{})
	fake := dockertest.NewFakeAPI(t, "svc", 2)
	host := plaintextHost(ns, "bad-selector", fake.Host, "2s")
	host.Spec.Containers.LabelSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "tier", Operator: metav1.LabelSelectorOpExists, Values: []string{"web"}},
	}}
	key := applyHost(t, host)
	got := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonInvalidSpec, 20*time.Second)
	if msg := condition(got, dockwatchv1.ConditionReady).Message; !strings.Contains(msg, "spec.containers.labelSelector") {
		t.Errorf("InvalidSpec message does not name the field: %q", msg)
	}
	before := mgr.reconciles.Load()
	time.Sleep(10 * time.Second)
	if n := mgr.reconciles.Load() - before; n > 1 {
		t.Errorf("an invalid spec was reconciled %d more times in 10s; want no retries", n)
	}
	if n := len(eventsFor(t, key, dockwatchv1.ReasonInvalidSpec)); n != 1 {
		t.Errorf("want 1 InvalidSpec event, got %d", n)
	}
	if fake.StatsRequests.Load() != 0 {
		t.Errorf("the daemon of an invalid host was polled")
	}

	got = getHost(t, key)
	got.Spec.Containers.LabelSelector = nil
	if err := k8sClient.Update(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", 20*time.Second)
}

// plaintextHost is a DockerHost for a fake daemon on loopback, polled every 5s.
func plaintextHost(ns, name, endpoint, timeout string) *dockwatchv1.DockerHost {
	return &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: endpoint, AllowPlaintext: true, Interval: dur(pollEvery), Timeout: dur(timeout),
		},
	}
}
