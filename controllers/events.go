package controllers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Event rate limits per (host, reason, container, rule): a burst, then a slow
// refill. They only bite on a flapping container; distinct containers never
// share a budget, so one noisy container cannot silence the others.
const (
	eventBurst = 25
	eventQPS   = 1.0 / 60
)

// NewEventRecorder returns a core/v1 event recorder tuned for alerting.
//
// We use core/v1 events rather than events.k8s.io/v1 because the latter's
// recorder deduplicates on a key that ignores the message, which would fold
// two containers breaching the same rule into one series; core/v1 carries
// annotations too. The correlator is told the same: its default aggregation
// merges more than ten similar events into one "combined" event and its spam
// filter shares one budget per object, both of which would drop per-container
// alerts on a busy host. stop shuts the broadcaster down.
func NewEventRecorder(clientset kubernetes.Interface, scheme *runtime.Scheme, component string) (recorder record.EventRecorder, stop func()) {
	broadcaster := record.NewBroadcasterWithCorrelatorOptions(record.CorrelatorOptions{
		BurstSize:   eventBurst,
		QPS:         eventQPS,
		KeyFunc:     aggregateByMessage,
		SpamKeyFunc: spamKeyPerAlert,
	})
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: clientset.CoreV1().Events("")})
	recorder = broadcaster.NewRecorder(scheme, corev1.EventSource{Component: component, Host: ManagerIdentity()})
	return recorder, broadcaster.Shutdown
}

// aggregateByMessage puts the message in the aggregation key, so events are
// only ever counted as repeats of an identical event, never combined.
func aggregateByMessage(event *corev1.Event) (aggregateKey, localKey string) {
	aggregateKey, localKey = record.EventAggregatorByReasonFunc(event)
	return aggregateKey + "\x00" + localKey, localKey
}

// spamKeyPerAlert gives every (object, reason, container, rule) its own rate
// limit bucket.
func spamKeyPerAlert(event *corev1.Event) string {
	return strings.Join([]string{
		event.Source.Component,
		event.InvolvedObject.Namespace,
		event.InvolvedObject.Name,
		string(event.InvolvedObject.UID),
		event.Type,
		event.Reason,
		event.Annotations[dockwatchv1.AnnotationContainerID],
		event.Annotations[dockwatchv1.AnnotationRule],
	}, "\x00")
}
