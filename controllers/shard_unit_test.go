package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// ownsNothing is a shard in which another replica owns every host.
type ownsNothing struct{}

func (ownsNothing) Owns(client.ObjectKey) bool { return false }

func TestReconcileLeavesHostsOwnedByAnotherReplicaAlone(t *testing.T) {
	host := unitHost(1)
	d := &fakeDialer{}
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(host).WithStatusSubresource(host).Build()
	r := &DockerHostReconciler{Client: c, APIReader: c, Connections: NewConnectionCache(d.dial), Alerts: NewAlertMemory(),
		Clock: clocktesting.NewFakeClock(time.Now()), Shard: ownsNothing{}}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(host)})
	if err != nil || res.RequeueAfter != 0 || len(d.dialed) != 0 {
		t.Fatalf("reconcile of a host owned elsewhere: result %+v, err %v, %d dials; want nothing done", res, err, len(d.dialed))
	}
	got := &dockwatchv1.DockerHost{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(host), got); err != nil || len(got.Status.Conditions) != 0 {
		t.Errorf("status written for a host owned elsewhere: %+v (%v)", got.Status, err)
	}
}

func TestFirstSightOfAHealthyHostKeepsItsSchedule(t *testing.T) {
	polled := onSlotOf("ns/host", 30*time.Second) // at its slot, in a 0 ms poll
	now := polled.Add(10 * time.Second)
	host := unitHost(1)
	host.Status.ObservedGeneration = 1
	host.Status.LastPollTime = &metav1.Time{Time: polled.Truncate(time.Second)} // as the API server keeps it
	meta.SetStatusCondition(&host.Status.Conditions, metav1.Condition{Type: dockwatchv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Polled"})
	host.Spec.AllowPlaintext = true
	d := &fakeDialer{}
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(host).WithStatusSubresource(host).Build()
	r := &DockerHostReconciler{Client: c, APIReader: c, Connections: NewConnectionCache(d.dial), Alerts: NewAlertMemory(),
		Clock: clocktesting.NewFakeClock(now)}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(host)})
	if err != nil {
		t.Fatal(err)
	}
	// Polled at its slot 10 s ago at a 30 s interval: due at its slot,
	// in 20 s.
	if res.RequeueAfter != 20*time.Second {
		t.Errorf("first sight of a host polled 10 s ago: requeue after %s, want 20s (keep the schedule)", res.RequeueAfter)
	}
	got := &dockwatchv1.DockerHost{}
	_ = c.Get(context.Background(), client.ObjectKeyFromObject(host), got)
	if !got.Status.LastPollTime.Equal(host.Status.LastPollTime) {
		t.Errorf("host polled early on first sight: lastPollTime %v", got.Status.LastPollTime)
	}
}

func TestShardFlagsExcludeLeaderElection(t *testing.T) {
	cases := []struct {
		sharded, leader bool
		ns, id, want    string
	}{
		{false, true, "", "", ""},
		{true, false, "dockwatch-system", "pod-0", ""},
		{true, true, "dockwatch-system", "pod-0", "mutually exclusive"},
		{true, false, "", "pod-0", "--shard-lease-namespace"},
		{true, false, "dockwatch-system", "", "--shard-identity"},
	}
	for _, c := range cases {
		err := CheckShardFlags(c.sharded, c.leader, c.ns, c.id)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckShardFlags(%v, %v, %q, %q) = %v, want %q", c.sharded, c.leader, c.ns, c.id, err, c.want)
		}
	}
}
