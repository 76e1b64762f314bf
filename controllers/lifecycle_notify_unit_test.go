package controllers

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/lifecycle"
)

// Lifecycle events take the threshold events' bounded, counted path, and
// each carries the container-id its rate-limit bucket is keyed on.
func TestLifecycleEventsGoThroughTheAlertEventQueuePerContainer(t *testing.T) {
	clientset := fake.NewClientset()
	reg := prometheus.NewRegistry()
	sink := NewAlertEventSink(clientset.CoreV1(), testScheme, "dockwatch", reg)
	bypassed := &capturingRecorder{}
	r := &DockerHostReconciler{Recorder: bypassed, AlertEvents: sink}
	host := polledHost(1, 1)
	r.notifyLifecycle(host, &docker.Snapshot{}, []lifecycle.Transition{
		{Kind: lifecycle.Exited, ContainerID: "id-a", Name: "a", ExitCode: 7},
		{Kind: lifecycle.Exited, ContainerID: "id-b", Name: "b", ExitCode: 7},
		{Kind: lifecycle.Healthy, ContainerID: "id-a", Name: "a"},
	})
	runSink(t, sink)()

	if len(bypassed.events) != 0 {
		t.Errorf("%d lifecycle events bypassed the alert event queue", len(bypassed.events))
	}
	if sent := counter(t, reg, "dockwatch_events_sent_total", string(lifecycle.Exited)); sent != 2 {
		t.Errorf("dockwatch_events_sent_total{reason=ContainerExited} = %d, want 2", sent)
	}
	events, err := clientset.CoreV1().Events(host.Namespace).List(context.Background(), metav1ListAll)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, e := range events.Items {
		if e.Annotations[dockwatchv1.AnnotationContainerID] == "" {
			t.Errorf("%s event without a container-id annotation", e.Reason)
		}
		if e.Reason == string(lifecycle.Healthy) && e.Type != corev1.EventTypeNormal {
			t.Errorf("ContainerHealthy is a %s event, want Normal", e.Type)
		}
		keys[spamKeyPerAlert(&e)] = true
	}
	if len(events.Items) != 3 || len(keys) != 3 {
		t.Errorf("%d events in %d rate-limit buckets, want 3 in 3 (one per container and reason)", len(events.Items), len(keys))
	}
}
