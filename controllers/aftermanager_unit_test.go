package controllers

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// An alert event queued by one of the last polls, after the manager's other
// runnables have stopped, is still sent; and the shard Lease goes only then.
func TestWhatStopsAfterTheManagerSendsTheLastEventsAndReleasesTheLease(t *testing.T) {
	clientset := fake.NewClientset()
	sink := NewAlertEventSink(clientset.CoreV1(), testScheme, "dockwatch", prometheus.NewRegistry())
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "dockwatch-system", Name: "dockwatch-shard-m-0"}}
	c := crfake.NewClientBuilder().WithScheme(testScheme).WithObjects(lease).Build()
	shard := NewShard(ShardOptions{Client: c, Namespace: "dockwatch-system", Identity: "m-0", Log: logr.Discard()}, nil)

	after := StartAfterManager(sink)
	after.Shard = shard
	host := &dockwatchv1.DockerHost{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "u1"}}
	sink.Event(host, "Warning", dockwatchv1.EventThresholdExceeded, "a last poll's alert")
	after.Finish()

	events, err := clientset.CoreV1().Events("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events.Items) != 1 || events.Items[0].Reason != dockwatchv1.EventThresholdExceeded {
		t.Errorf("events sent: %+v, want the one ThresholdExceeded", events.Items)
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(lease), &coordinationv1.Lease{}); err == nil {
		t.Error("the shard Lease is still there after finish")
	}
}
