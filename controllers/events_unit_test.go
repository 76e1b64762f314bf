package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Unit tests for the event correlator tuning (events.go).

// alertEvent is a core/v1 event as the recorder builds it for one alert.
func alertEvent(containerID, rule, message string) *corev1.Event {
	now := metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "host.1",
			Annotations: map[string]string{dockwatchv1.AnnotationContainerID: containerID, dockwatchv1.AnnotationRule: rule}},
		InvolvedObject: corev1.ObjectReference{Kind: "DockerHost", Namespace: "ns", Name: "host", UID: "uid-1",
			APIVersion: dockwatchv1.GroupVersion.String()},
		Source:         corev1.EventSource{Component: "dockwatch"},
		Type:           corev1.EventTypeWarning,
		Reason:         dockwatchv1.EventThresholdExceeded,
		Message:        message,
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
}

func TestAggregateByMessageKeysEachMessageApart(t *testing.T) {
	a := alertEvent("id-a", "high-cpu", "Container a: cpuPercent is 95")
	b := alertEvent("id-b", "high-cpu", "Container b: cpuPercent is 96")
	aAgain := alertEvent("id-a", "high-cpu", "Container a: cpuPercent is 95")

	keyA, localA := aggregateByMessage(a)
	keyB, _ := aggregateByMessage(b)
	keyAgain, _ := aggregateByMessage(aAgain)
	if keyA == keyB {
		t.Errorf("different messages share aggregate key %q", keyA)
	}
	if keyA != keyAgain {
		t.Errorf("identical events got different keys %q and %q", keyA, keyAgain)
	}
	if localA != a.Message {
		t.Errorf("local key = %q, want the message", localA)
	}
	defaultA, _ := record.EventAggregatorByReasonFunc(a)
	defaultB, _ := record.EventAggregatorByReasonFunc(b)
	if defaultA != defaultB {
		t.Fatal("test premise: client-go's default key would group these events")
	}
}

func TestSpamKeyPerAlertSeparatesContainersAndRules(t *testing.T) {
	base := spamKeyPerAlert(alertEvent("id-a", "high-cpu", "m1"))
	tests := []struct {
		name     string
		event    *corev1.Event
		wantSame bool
	}{
		{"same container and rule, other message", alertEvent("id-a", "high-cpu", "m2"), true},
		{"other container", alertEvent("id-b", "high-cpu", "m1"), false},
		{"other rule", alertEvent("id-a", "high-mem", "m1"), false},
		{"other reason", func() *corev1.Event {
			e := alertEvent("id-a", "high-cpu", "m1")
			e.Type, e.Reason = corev1.EventTypeNormal, dockwatchv1.EventThresholdResolved
			return e
		}(), false},
		{"other host", func() *corev1.Event {
			e := alertEvent("id-a", "high-cpu", "m1")
			e.InvolvedObject.Name, e.InvolvedObject.UID = "host-2", "uid-2"
			return e
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if same := spamKeyPerAlert(tt.event) == base; same != tt.wantSame {
				t.Errorf("same spam key = %v, want %v", same, tt.wantSame)
			}
		})
	}
}

// newCorrelator is the correlator NewEventRecorder configures, on a frozen clock.
func newCorrelator() *record.EventCorrelator {
	return record.NewEventCorrelatorWithOptions(record.CorrelatorOptions{
		BurstSize: eventBurst, QPS: eventQPS, KeyFunc: aggregateByMessage, SpamKeyFunc: spamKeyPerAlert,
		Clock: clocktesting.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)),
	})
}

func TestCorrelatorNeverCombinesManyContainersBreachingOneRule(t *testing.T) {
	c := newCorrelator()
	for i := range 40 {
		e := alertEvent(fmt.Sprintf("id-%02d", i), "high-cpu", fmt.Sprintf("Container c%02d: cpuPercent is 95", i))
		got, err := c.EventCorrelate(e)
		if err != nil || got.Skip {
			t.Fatalf("event %d: skip=%v err=%v", i, got.Skip, err)
		}
		if strings.Contains(got.Event.Message, "combined from similar events") || got.Event.Message != e.Message {
			t.Fatalf("event %d was rewritten: %q", i, got.Event.Message)
		}
	}
}

func TestCorrelatorRateLimitsOneFlappingContainerOnly(t *testing.T) {
	c := newCorrelator()
	skipped := 0
	for i := range eventBurst + 5 {
		got, _ := c.EventCorrelate(alertEvent("id-flappy", "high-cpu", fmt.Sprintf("flap %d", i)))
		if got.Skip {
			skipped++
		}
	}
	if skipped != 5 {
		t.Errorf("flapping container: %d of %d events skipped, want 5", skipped, eventBurst+5)
	}
	if got, _ := c.EventCorrelate(alertEvent("id-quiet", "high-cpu", "first breach")); got.Skip {
		t.Error("another container's first event was dropped by the flapping container's budget")
	}
}
