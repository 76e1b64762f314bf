package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// stoppingHostClient is a daemon with one container at 90% CPU that calls
// stop (the manager beginning to stop) during the poll (inSnapshot, and the
// poll fails as a cut one does) or just after it, while the event log is read.
type stoppingHostClient struct {
	stop       context.CancelFunc
	inSnapshot bool
}

func (s stoppingHostClient) Snapshot(ctx context.Context, _ docker.Selection) (*docker.Snapshot, error) {
	if s.inSnapshot {
		s.stop()
		return nil, &docker.OpError{Op: "get container stats", Endpoint: "tcp://10.0.0.5:2376", Err: ctx.Err()}
	}
	hot := docker.ContainerStats{ID: "c1", Name: "web", State: "running"}
	hot.CPUPercent = ptr(90.0)
	return &docker.Snapshot{Daemon: docker.DaemonInfo{MemTotalBytes: 1 << 30}, Containers: []docker.ContainerStats{hot}, Running: 1}, nil
}

func (s stoppingHostClient) ContainerEvents(ctx context.Context, _, _ time.Time, _ eventlog.Limits) (eventlog.Result, error) {
	s.stop()
	return eventlog.Result{}, ctx.Err()
}

func (stoppingHostClient) InspectState(context.Context, string) (docker.ContainerState, error) {
	return docker.ContainerState{}, nil
}

func (stoppingHostClient) Close() error { return nil }

// reconcileWhileStopping runs one Reconcile of a host with a 50% CPU rule
// that fires at once, against daemon, and returns the status patches the
// API server took (a cancelled request is refused, as a real client's is)
// and the events recorded.
func reconcileWhileStopping(ctx context.Context, t *testing.T, daemon stoppingHostClient) ([]string, []string, error) {
	t.Helper()
	host := unitHost(1)
	host.Spec.AllowPlaintext = true
	host.Spec.Thresholds = []dockwatchv1.ThresholdRule{{Name: "hot", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(50)}}
	var patched []string
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(host).WithStatusSubresource(host).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(ctx context.Context, _ client.Client, _ string, obj client.Object, p client.Patch, _ ...client.SubResourcePatchOption) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			data, err := p.Data(obj)
			patched = append(patched, string(data))
			return err
		}}).Build()
	recorder := record.NewFakeRecorder(10)
	dial := func(docker.Config) (HostClient, error) { return daemon, nil }
	r := &DockerHostReconciler{Client: c, APIReader: c, Recorder: recorder, Connections: NewConnectionCache(dial),
		Alerts: NewAlertMemory(), Lifecycle: NewLifecycleMemory(), Clock: clocktesting.NewFakeClock(time.Now())}
	_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(host)})
	close(recorder.Events)
	var events []string
	for e := range recorder.Events {
		events = append(events, e)
	}
	return patched, events, err
}

// TestAPollThatEndsAsTheManagerStopsIsStillSaved: its ThresholdExceeded
// event is out, so its status (the alert Firing) must be too, or the next
// manager, which rebuilds alerts from status, fires it again.
func TestAPollThatEndsAsTheManagerStopsIsStillSaved(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	patched, events, err := reconcileWhileStopping(ctx, t, stoppingHostClient{stop: stop})
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if len(events) != 1 || !strings.Contains(events[0], dockwatchv1.EventThresholdExceeded) {
		t.Fatalf("events %q, want one ThresholdExceeded", events)
	}
	if len(patched) != 1 || !strings.Contains(patched[0], `"state":"Firing"`) {
		t.Fatalf("status patches %q, want one that records the alert Firing", patched)
	}
}

// TestAPollAStopCutShortIsNotRecorded: a poll cut by the manager's stop says
// nothing about the daemon, so it neither marks the host unreachable nor
// emits an event; the next manager polls it again.
func TestAPollAStopCutShortIsNotRecorded(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	patched, events, err := reconcileWhileStopping(ctx, t, stoppingHostClient{stop: stop, inSnapshot: true})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Reconcile error %v, want the stop's context.Canceled", err)
	}
	if len(patched) != 0 || len(events) != 0 {
		t.Errorf("a cut poll was recorded: patches %q, events %q", patched, events)
	}
}

// The save's context lives on past the reconcile's end, for grace only.
func TestOutlivingEndsGraceAfterItsParent(t *testing.T) {
	parent, stop := context.WithCancel(context.Background())
	out, cancel := outliving(parent, 200*time.Millisecond)
	defer cancel()
	stop()
	select {
	case <-out.Done():
		t.Fatal("ended with its parent")
	case <-time.After(50 * time.Millisecond):
	}
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after its parent ended, want 200 ms")
	}

	out, cancel = outliving(context.Background(), time.Hour)
	cancel()
	if out.Err() == nil {
		t.Error("cancel did not end it")
	}
}
