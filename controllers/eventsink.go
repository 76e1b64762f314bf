package controllers

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/reference"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/eventbudget"
)

// EventThresholdEventsSummarised is the reason of the one event that stands
// for a host's threshold events that did not fit its event queue.
const EventThresholdEventsSummarised = "ThresholdEventsSummarised"

// AnnotationSummarisedPrefix + an event reason counts, on a summary event,
// the events of that reason it stands for.
const AnnotationSummarisedPrefix = "dockwatch.io/summarised."

// Event queue bounds: a host may queue eventsPerHost alert events and all
// hosts together eventsTotal (about 1.5 KiB each, so a few MiB at most);
// the rest become one summary event per host.
const (
	eventsPerHost = 250
	eventsTotal   = 5000
	// eventRetryFor is how long one event is retried while the API server
	// fails; the queue fills (and summarises) meanwhile.
	eventRetryFor = 5 * time.Minute
	// eventDrainOnStop is how long queued events may still go out at shutdown.
	eventDrainOnStop = 5 * time.Second
)

// eventRetryDelays space the attempts at one event: from 250 ms, doubling,
// then every 10 s until eventRetryFor is up.
var eventRetryDelays = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 1 << 30, Cap: 10 * time.Second}

// AlertEventSink is the event path for threshold alerts: an EventRecorder
// whose events wait in a bounded per-host queue (internal/eventbudget) and
// are written one at a time, at the pace the API server and the client's
// rate limit allow. Nothing is dropped silently: what does not fit becomes
// one summary event per host (status.alerts stays the record of what is
// active), an event the API server refuses is counted, and all three
// outcomes are Prometheus counters.
//
// StartAfterManager runs it: the queue drains while the manager runs and,
// once it has stopped, for at most eventDrainOnStop more. It is no manager
// runnable, which would stop before the controllers.
type AlertEventSink struct {
	events typedcorev1.EventsGetter
	scheme *runtime.Scheme
	source corev1.EventSource
	clock  clock.Clock
	queue  *eventbudget.Queue[client.ObjectKey, *corev1.Event]
	// retryFor and retryDelays are eventRetryFor and eventRetryDelays;
	// tests shorten them.
	retryFor    time.Duration
	retryDelays wait.Backoff
	// writing counts items taken from the queue and not yet settled.
	writing atomic.Int64
	// lastStamp is the suffix of the last event name given out; see eventName.
	lastStamp atomic.Int64

	sent, summarised, dropped *prometheus.CounterVec
	queued                    prometheus.GaugeFunc
}

// NewAlertEventSink returns a sink writing through events as component,
// with its counters registered on reg.
func NewAlertEventSink(events typedcorev1.EventsGetter, scheme *runtime.Scheme, component string, reg prometheus.Registerer) *AlertEventSink {
	s := &AlertEventSink{
		events: events, scheme: scheme, source: corev1.EventSource{Component: component}, clock: clock.RealClock{},
		queue:    eventbudget.New[client.ObjectKey, *corev1.Event](eventbudget.Limits{PerKey: eventsPerHost, Total: eventsTotal}),
		retryFor: eventRetryFor, retryDelays: eventRetryDelays,
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockwatch_events_sent_total", Help: "Alert events written to the API server, by reason."}, []string{"reason"}),
		summarised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockwatch_events_summarised_total",
			Help: "Alert events that did not fit their host's event queue and were counted in a summary event instead, by reason."}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockwatch_events_dropped_total",
			Help: "Alert and summary events the API server refused or that were still queued at shutdown, by reason."}, []string{"reason"}),
	}
	s.queued = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dockwatch_events_queued", Help: "Alert events waiting to be written."}, func() float64 {
		queued, _ := s.queue.Len()
		return float64(queued)
	})
	reg.MustRegister(s.sent, s.summarised, s.dropped, s.queued)
	return s
}

// Event queues an event about object (see record.EventRecorder).
func (s *AlertEventSink) Event(object runtime.Object, eventtype, reason, message string) {
	s.AnnotatedEventf(object, nil, eventtype, reason, "%s", message)
}

// Eventf is Event with a format.
func (s *AlertEventSink) Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	s.AnnotatedEventf(object, nil, eventtype, reason, messageFmt, args...)
}

// AnnotatedEventf queues an annotated event about object. It never blocks:
// an event that does not fit the host's queue is counted for its summary.
func (s *AlertEventSink) AnnotatedEventf(object runtime.Object, annotations map[string]string, eventtype, reason, messageFmt string, args ...any) {
	ref, err := reference.GetReference(s.scheme, object)
	if err != nil {
		ctrl.Log.WithName("events").Error(err, "Cannot refer to the object of an event; dropped", "reason", reason)
		s.dropped.WithLabelValues(reason).Inc()
		return
	}
	now := metav1.NewTime(s.clock.Now())
	event := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ref.Namespace, Annotations: annotations},
		InvolvedObject: *ref,
		Reason:         reason,
		Message:        fmt.Sprintf(messageFmt, args...),
		Type:           eventtype,
		Source:         s.source,
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	key := client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}
	if !s.queue.Push(key, event, reason) {
		s.summarised.WithLabelValues(reason).Inc()
	}
}

// Pending is how many events are queued, being written, or held for a
// summary: 0 once everything handed to the sink is settled.
func (s *AlertEventSink) Pending() int {
	queued, overflowed := s.queue.Len()
	return queued + overflowed + int(s.writing.Load())
}

// Start writes queued events until ctx ends, then for at most
// eventDrainOnStop more; what is still queued after that is counted dropped.
func (s *AlertEventSink) Start(ctx context.Context) error {
	for {
		out, ok := s.queue.Next(ctx)
		if !ok {
			break
		}
		s.writing.Add(1)
		s.deliver(ctx, out)
		s.writing.Add(-1)
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), eventDrainOnStop)
	defer cancel()
	for {
		out, ok := s.queue.TryNext()
		if !ok {
			return nil
		}
		if drainCtx.Err() != nil {
			s.countDropped(out)
			continue
		}
		s.deliver(drainCtx, out)
	}
}

// deliver writes one queued item (an event or a summary) and counts the outcome.
func (s *AlertEventSink) deliver(ctx context.Context, out eventbudget.Out[client.ObjectKey, *corev1.Event]) {
	event := out.Item
	if out.Summary != nil {
		event = s.summaryEvent(out.Summary)
	}
	if err := s.write(ctx, event); err != nil {
		ctrl.Log.WithName("events").Error(err, "Event not recorded", "reason", event.Reason,
			"dockerhost", out.Key, "events", max(1, summaryLen(out.Summary)))
		s.countDropped(out)
		return
	}
	if out.Summary == nil {
		s.sent.WithLabelValues(event.Reason).Inc()
	} else {
		s.sent.WithLabelValues(EventThresholdEventsSummarised).Inc()
	}
}

func (s *AlertEventSink) countDropped(out eventbudget.Out[client.ObjectKey, *corev1.Event]) {
	if out.Summary != nil {
		s.dropped.WithLabelValues(EventThresholdEventsSummarised).Inc()
		return
	}
	s.dropped.WithLabelValues(out.Item.Reason).Inc()
}

func summaryLen(sum *eventbudget.Summary[*corev1.Event]) int {
	if sum == nil {
		return 0
	}
	return sum.Len()
}

// write creates event, retrying with backoff (up to retryFor) while the
// API server is unavailable; a refusal that retrying cannot change (the
// namespace is gone, the event is invalid, no permission) ends at once.
// The event is named once, before the first attempt: a Create the API
// server stored but never confirmed comes back AlreadyExists on the retry
// and counts as sent, instead of going out a second time under a new name.
func (s *AlertEventSink) write(ctx context.Context, event *corev1.Event) error {
	ctx, cancel := context.WithTimeout(ctx, s.retryFor)
	defer cancel()
	named := event.DeepCopy()
	named.Name = s.eventName(event)
	var last error
	// DelayFunc keeps trying at the cap until ctx ends;
	// ExponentialBackoffWithContext would stop once the cap is reached
	// (about 16 s), losing the event in a longer outage.
	err := s.retryDelays.DelayFunc().Until(ctx, true, false, func(ctx context.Context) (bool, error) {
		_, last = s.events.Events(event.Namespace).Create(ctx, named, metav1.CreateOptions{})
		switch {
		case last == nil || apierrors.IsAlreadyExists(last):
			last = nil
			return true, nil
		case retriable(last):
			return false, nil
		default:
			return false, last
		}
	})
	if err != nil && last != nil {
		return fmt.Errorf("create event in %s: %w", event.Namespace, last)
	}
	return err
}

// eventName names an event after its object and the time, as client-go's
// recorder does, but never gives the same suffix twice: AlreadyExists can
// then only mean this event's own earlier attempt.
func (s *AlertEventSink) eventName(event *corev1.Event) string {
	for {
		last := s.lastStamp.Load()
		stamp := max(s.clock.Now().UnixNano(), last+1)
		if s.lastStamp.CompareAndSwap(last, stamp) {
			return fmt.Sprintf("%s.%x", event.InvolvedObject.Name, stamp)
		}
	}
}

// retriable tells API server trouble (away, overloaded, timing out) from a
// refusal of the event itself.
func retriable(err error) bool {
	switch {
	case apierrors.IsForbidden(err), apierrors.IsInvalid(err), apierrors.IsBadRequest(err),
		apierrors.IsNotFound(err), apierrors.IsMethodNotSupported(err), apierrors.IsUnauthorized(err),
		apierrors.IsRequestEntityTooLargeError(err):
		return false
	}
	return true
}

// summaryEvent is the one event standing for a host's events that did not
// fit its queue. It is a Warning when any of them was.
func (s *AlertEventSink) summaryEvent(sum *eventbudget.Summary[*corev1.Event]) *corev1.Event {
	last := sum.Last
	now := metav1.NewTime(s.clock.Now())
	reasons := make([]string, 0, len(sum.Counts))
	for reason := range sum.Counts {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	annotations := map[string]string{}
	if host, ok := last.Annotations[dockwatchv1.AnnotationHost]; ok {
		annotations[dockwatchv1.AnnotationHost] = host
	}
	parts := make([]string, 0, len(reasons))
	for _, reason := range reasons {
		annotations[AnnotationSummarisedPrefix+reason] = strconv.Itoa(sum.Counts[reason])
		parts = append(parts, fmt.Sprintf("%d %s", sum.Counts[reason], reason))
	}
	eventType := corev1.EventTypeNormal
	if sum.Counts[dockwatchv1.EventThresholdExceeded] > 0 || last.Type == corev1.EventTypeWarning {
		eventType = corev1.EventTypeWarning
	}
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: last.Namespace, Annotations: annotations},
		InvolvedObject: last.InvolvedObject,
		Reason:         EventThresholdEventsSummarised,
		Message: fmt.Sprintf("%d threshold events were not sent one by one because this host's event queue was full (%s); "+
			"status.alerts and status.summary hold the alerts now active", sum.Len(), strings.Join(parts, ", ")),
		Type:           eventType,
		Source:         s.source,
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
}
