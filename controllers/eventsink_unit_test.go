package controllers

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// runSink starts sink until the test ends and returns a func that waits
// for its queue to empty.
func runSink(t *testing.T, sink *AlertEventSink) (waitEmpty func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = sink.Start(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return func() {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			// Twice, a little apart: an item just taken from the queue is
			// counted as being written a moment later.
			if sink.Pending() == 0 {
				time.Sleep(20 * time.Millisecond)
				if sink.Pending() == 0 {
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("event queue did not drain")
	}
}

// counter reads one reason's value of an event counter.
func counter(t *testing.T, reg *prometheus.Registry, name, reason string) int {
	t.Helper()
	return int(series(t, reg, name)["reason="+reason])
}

func TestSinkAccountsForEveryEventOfABurst(t *testing.T) {
	clientset := fake.NewClientset()
	reg := prometheus.NewRegistry()
	sink := NewAlertEventSink(clientset.CoreV1(), testScheme, "dockwatch", reg)
	host := unitHost(1)
	for i := range 3000 {
		sink.AnnotatedEventf(host, map[string]string{dockwatchv1.AnnotationHost: "ns/host"}, corev1.EventTypeWarning,
			dockwatchv1.EventThresholdExceeded, "container %d", i)
	}
	runSink(t, sink)()

	events, err := clientset.CoreV1().Events(host.Namespace).List(context.Background(), metav1ListAll)
	if err != nil {
		t.Fatal(err)
	}
	individual, summarisedInEvents := 0, 0
	for _, e := range events.Items {
		switch e.Reason {
		case dockwatchv1.EventThresholdExceeded:
			individual++
		case EventThresholdEventsSummarised:
			n, _ := strconv.Atoi(e.Annotations[AnnotationSummarisedPrefix+dockwatchv1.EventThresholdExceeded])
			summarisedInEvents += n
			if e.Type != corev1.EventTypeWarning || e.InvolvedObject.Name != host.Name {
				t.Errorf("summary event %s about %s, want a Warning about the host", e.Type, e.InvolvedObject.Name)
			}
		}
	}
	if individual != eventsPerHost || individual+summarisedInEvents != 3000 {
		t.Errorf("%d events sent one by one + %d in summaries, want %d + %d", individual, summarisedInEvents, eventsPerHost, 3000-eventsPerHost)
	}
	if sent, summarised := counter(t, reg, "dockwatch_events_sent_total", dockwatchv1.EventThresholdExceeded), counter(t, reg, "dockwatch_events_summarised_total", dockwatchv1.EventThresholdExceeded); sent != individual || summarised != summarisedInEvents {
		t.Errorf("metrics: %d sent, %d summarised; events say %d and %d", sent, summarised, individual, summarisedInEvents)
	}
}

// TestSinkRetriesWhileTheAPIServerIsAway: an event the API server refuses
// as unavailable is sent once it answers again, also after many attempts at
// the backoff's cap (the attempts go on until retryFor is up, not only
// until the delay first reaches the cap: about 16 s with the shipped
// delays, shorter than a 20 s API server outage).
func TestSinkRetriesWhileTheAPIServerIsAway(t *testing.T) {
	tests := []struct {
		name     string
		failures int64
		delays   *wait.Backoff // nil: the shipped eventRetryDelays
	}{
		{"three failures, shipped delays", 3, nil},
		{"thirty failures, most at the cap", 30, &wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 1 << 30, Cap: 4 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientset := fake.NewClientset()
			var attempts atomic.Int64
			clientset.PrependReactor("create", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
				if attempts.Add(1) <= tt.failures {
					return true, nil, apierrors.NewServiceUnavailable("away")
				}
				return false, nil, nil
			})
			reg := prometheus.NewRegistry()
			sink := NewAlertEventSink(clientset.CoreV1(), testScheme, "dockwatch", reg)
			if tt.delays != nil {
				sink.retryDelays = *tt.delays
			}
			sink.Event(unitHost(1), corev1.EventTypeNormal, dockwatchv1.EventThresholdResolved, "back within")
			runSink(t, sink)()
			if sent := counter(t, reg, "dockwatch_events_sent_total", dockwatchv1.EventThresholdResolved); sent != 1 {
				t.Fatalf("want the event sent after %d failed attempts, sent %d (dropped %d, attempts %d)", tt.failures, sent,
					counter(t, reg, "dockwatch_events_dropped_total", dockwatchv1.EventThresholdResolved), attempts.Load())
			}
		})
	}
}

func TestSinkCountsARefusedEventDropped(t *testing.T) {
	clientset := fake.NewClientset()
	clientset.PrependReactor("create", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "events"}, "", nil)
	})
	reg := prometheus.NewRegistry()
	sink := NewAlertEventSink(clientset.CoreV1(), testScheme, "dockwatch", reg)
	sink.Event(unitHost(1), corev1.EventTypeWarning, dockwatchv1.EventThresholdExceeded, "above")
	runSink(t, sink)()
	if dropped := counter(t, reg, "dockwatch_events_dropped_total", dockwatchv1.EventThresholdExceeded); dropped != 1 {
		t.Fatalf("a forbidden event must be counted dropped at once, got %d", dropped)
	}
}

var metav1ListAll = metav1.ListOptions{}

// An event is named once: a Create the API server stored but whose answer
// was lost is not sent again under a new name, and two events of the same
// instant do not take each other's name.
func TestSinkSendsEachEventOnce(t *testing.T) {
	tests := []struct {
		name      string
		events    int
		loseFirst bool // store the first Create, then answer with an error
	}{
		{"a stored but unconfirmed event is not sent twice", 1, true},
		{"events of the same instant are all sent", 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientset := fake.NewClientset()
			var creates atomic.Int64
			clientset.PrependReactor("create", "events", func(action k8stesting.Action) (bool, runtime.Object, error) {
				if creates.Add(1) == 1 && tt.loseFirst {
					obj := action.(k8stesting.CreateAction).GetObject()
					if err := clientset.Tracker().Create(action.GetResource(), obj, action.GetNamespace()); err != nil {
						t.Errorf("store the first event: %v", err)
					}
					return true, nil, apierrors.NewTimeoutError("the answer was lost", 1)
				}
				return false, nil, nil
			})
			reg := prometheus.NewRegistry()
			sink := NewAlertEventSink(clientset.CoreV1(), testScheme, "dockwatch", reg)
			sink.clock = clocktesting.NewFakeClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
			host := unitHost(1)
			for range tt.events {
				sink.Event(host, corev1.EventTypeNormal, dockwatchv1.EventThresholdResolved, "back within")
			}
			runSink(t, sink)()
			events, err := clientset.CoreV1().Events(host.Namespace).List(context.Background(), metav1ListAll)
			if err != nil {
				t.Fatal(err)
			}
			sent := counter(t, reg, "dockwatch_events_sent_total", dockwatchv1.EventThresholdResolved)
			if len(events.Items) != tt.events || sent != tt.events {
				t.Fatalf("%d events stored, %d counted sent, want %d of each (%d creates)", len(events.Items), sent, tt.events, creates.Load())
			}
		})
	}
}
