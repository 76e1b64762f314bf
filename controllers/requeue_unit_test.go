package controllers

import (
	"context"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// slowHostClient is a daemon whose snapshot takes 4 s and whose event log
// takes 2 s more, on a fake clock.
type slowHostClient struct{ clock *clocktesting.FakeClock }

func (s slowHostClient) Snapshot(context.Context, docker.Selection) (*docker.Snapshot, error) {
	s.clock.Step(4 * time.Second)
	return &docker.Snapshot{}, nil
}

func (s slowHostClient) ContainerEvents(context.Context, time.Time, time.Time, eventlog.Limits) (eventlog.Result, error) {
	s.clock.Step(2 * time.Second)
	return eventlog.Result{}, nil
}

func (slowHostClient) InspectState(context.Context, string) (docker.ContainerState, error) {
	return docker.ContainerState{}, nil
}

func (slowHostClient) Close() error { return nil }

// TestRequeueCountsFromThePollsStartPastTheLifecycleStep: the period is
// start to start, so the next poll of a host polled at its slot is due an
// interval after this one began, its snapshot and its event-log read both
// subtracted.
func TestRequeueCountsFromThePollsStartPastTheLifecycleStep(t *testing.T) {
	clock := clocktesting.NewFakeClock(onSlotOf("ns/host", 30*time.Second))
	host := unitHost(1)
	host.Spec.AllowPlaintext = true
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(host).WithStatusSubresource(host).Build()
	dial := func(docker.Config) (HostClient, error) { return slowHostClient{clock: clock}, nil }
	r := &DockerHostReconciler{Client: c, APIReader: c, Connections: NewConnectionCache(dial), Alerts: NewAlertMemory(),
		Lifecycle: NewLifecycleMemory(), Clock: clock}
	res, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(host)})
	if err != nil {
		t.Fatal(err)
	}
	// 30 s less the 6 s since the poll started.
	if want := 24 * time.Second; res.RequeueAfter != want {
		t.Errorf("requeue after %s, want %s: 30 s after the poll started 6 s ago", res.RequeueAfter, want)
	}
}
