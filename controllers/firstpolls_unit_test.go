package controllers

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// TestFirstPollsBoundOnlyHostsNeverPolled: a slot per first poll, given
// back on release; a host polled before, or no bound at all, needs none.
func TestFirstPollsBoundOnlyHostsNeverPolled(t *testing.T) {
	fresh := unitHost(1)
	polled := unitHost(1)
	polled.Status.LastPollTime = &metav1.Time{Time: time.Unix(1_800_000_000, 0)}

	var unbounded *FirstPolls
	if _, ok := unbounded.tryStart(fresh); !ok {
		t.Fatal("a nil FirstPolls held a first poll back")
	}
	f := NewFirstPolls(2)
	releaseA, okA := f.tryStart(fresh)
	_, okB := f.tryStart(fresh)
	if !okA || !okB {
		t.Fatalf("the first two first polls: ok %v, %v; want both", okA, okB)
	}
	if _, ok := f.tryStart(fresh); ok {
		t.Fatal("a third first poll started with 2 slots taken")
	}
	if _, ok := f.tryStart(polled); !ok {
		t.Fatal("a host polled before was held back by the first-poll bound")
	}
	releaseA()
	if _, ok := f.tryStart(fresh); !ok {
		t.Fatal("a released slot was not given back")
	}
	atLeastOne := NewFirstPolls(0)
	if _, ok := atLeastOne.tryStart(fresh); !ok {
		t.Error("NewFirstPolls(0) allowed no first poll, want one")
	}
	if _, ok := atLeastOne.tryStart(fresh); ok {
		t.Error("NewFirstPolls(0) allowed two first polls, want one")
	}
}

// countingHostClient is a daemon with no containers that counts snapshots
// (it has no event log: the lifecycle step passes it by).
type countingHostClient struct{ snapshots *int }

func (c countingHostClient) Snapshot(context.Context, docker.Selection) (*docker.Snapshot, error) {
	*c.snapshots++
	return &docker.Snapshot{}, nil
}

func (countingHostClient) Close() error { return nil }

// TestReconcileWaitsForAFirstPollSlotWithoutPolling: with every slot
// taken, a host never polled is requeued a moment later and not polled;
// a host polled before is polled all the same; once a slot frees, the
// first poll goes ahead and gives its slot back.
func TestReconcileWaitsForAFirstPollSlotWithoutPolling(t *testing.T) {
	clock := clocktesting.NewFakeClock(onSlotOf("ns/host", 30*time.Second))
	fresh := unitHost(1)
	fresh.Spec.AllowPlaintext = true
	polled := fresh.DeepCopy()
	polled.Name = "polled"
	polled.Status.LastPollTime = &metav1.Time{Time: clock.Now().Add(-time.Hour)}
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(fresh, polled).WithStatusSubresource(fresh, polled).Build()
	snapshots := 0
	dial := func(docker.Config) (HostClient, error) { return countingHostClient{snapshots: &snapshots}, nil }
	gate := NewFirstPolls(1)
	r := &DockerHostReconciler{Client: c, APIReader: c, Connections: NewConnectionCache(dial), Alerts: NewAlertMemory(),
		Lifecycle: NewLifecycleMemory(), Clock: clock, FirstPolls: gate}
	reconcile := func(host client.Object) ctrl.Result {
		t.Helper()
		res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(host)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	other, _ := gate.tryStart(unitHost(1)) // another host's first poll holds the only slot
	if res := reconcile(fresh); res.RequeueAfter != firstPollWait || snapshots != 0 {
		t.Fatalf("with no slot free: requeue after %s and %d snapshots, want %s and none", res.RequeueAfter, snapshots, firstPollWait)
	}
	if reconcile(polled); snapshots != 1 {
		t.Fatalf("a host polled before was not polled while the slot was taken (%d snapshots)", snapshots)
	}
	other()
	if res := reconcile(fresh); res.RequeueAfter == firstPollWait || snapshots != 2 {
		t.Fatalf("with the slot free: requeue after %s and %d snapshots, want a poll", res.RequeueAfter, snapshots)
	}
	if release, ok := gate.tryStart(unitHost(1)); !ok {
		t.Error("the first poll kept its slot after it ended")
	} else {
		release()
	}
}
