package controllers

import (
	"crypto/x509"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/record"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
)

// Unit tests for the notify step (notify.go).

// Host states as the reconcile steps leave them.
var (
	statePolled      = func(h *dockwatchv1.DockerHost) { markPolled(h, "") }
	stateUnreachable = func(h *dockwatchv1.DockerHost) { markUnreachable(h, errors.New("connection refused")) }
	stateDaemonHung  = func(h *dockwatchv1.DockerHost) { markUnreachable(h, errors.New("context deadline exceeded")) }
	stateTLSError    = func(h *dockwatchv1.DockerHost) {
		markConfigError(h, tlsConfigError("Secret ns/certs not found").(*configError))
	}
	stateTLSOther = func(h *dockwatchv1.DockerHost) {
		markConfigError(h, tlsConfigError("Secret ns/certs: key tls.key does not hold PEM data").(*configError))
	}
	stateInvalidSpec = func(h *dockwatchv1.DockerHost) {
		markConfigError(h, &configError{reason: dockwatchv1.ReasonInvalidSpec, err: errors.New("spec.containers: bad")})
	}
	stateCertRejected = func(h *dockwatchv1.DockerHost) {
		markUnreachable(h, x509.UnknownAuthorityError{})
	}
	stateVersionRefused = func(h *dockwatchv1.DockerHost) {
		markUnreachable(h, errors.New("Error response from daemon: client version 1.99 is too new. Maximum supported API version is 1.41"))
	}
	stateSuspended = func(h *dockwatchv1.DockerHost) { markSuspended(h) }
	stateNew       = func(*dockwatchv1.DockerHost) {}
)

func TestNotifyEmitsEventsOnlyOnConditionTransitions(t *testing.T) {
	tests := []struct {
		name          string
		before, after func(*dockwatchv1.DockerHost)
		want          []string // "Type Reason" prefixes, in order
	}{
		{"first successful poll", stateNew, statePolled, nil},
		{"poll that changed nothing", statePolled, statePolled, nil},
		{"daemon lost", statePolled, stateUnreachable, []string{"Warning DaemonUnreachable Docker daemon unreachable: connection refused"}},
		{"daemon unreachable on the first poll", stateNew, stateUnreachable, []string{"Warning DaemonUnreachable"}},
		{"daemon still unreachable with another error", stateUnreachable, stateDaemonHung, nil},
		{"daemon back", stateUnreachable, statePolled, []string{"Normal DaemonReachable The Docker daemon at tcp://10.0.0.5:2376 answers again"}},
		{"daemon unreachable once the Secret is fixed", stateTLSError, stateUnreachable, []string{"Warning DaemonUnreachable"}},
		{"TLS problem appears", statePolled, stateTLSError, []string{"Warning TLSConfigError Secret ns/certs not found"}},
		{"TLS problem unchanged", stateTLSError, stateTLSError, nil},
		{"TLS problem changes", stateTLSError, stateTLSOther, []string{"Warning TLSConfigError Secret ns/certs: key tls.key"}},
		{"unreachable host gets a TLS problem", stateUnreachable, stateTLSError, []string{"Warning TLSConfigError"}},
		{"invalid spec appears", stateNew, stateInvalidSpec, []string{"Warning InvalidSpec spec.containers: bad"}},
		{"TLS problem becomes an invalid spec", stateTLSError, stateInvalidSpec, []string{"Warning InvalidSpec"}},
		{"TLS problem fixed", stateTLSError, statePolled, []string{"Normal ConfigurationFixed The host is usable again (was TLSConfigError)"}},
		{"invalid spec fixed", stateInvalidSpec, statePolled, []string{"Normal ConfigurationFixed"}},
		{"certificate rejected", statePolled, stateCertRejected, []string{"Warning TLSVerificationFailed TLS with the Docker daemon failed"}},
		{"certificate accepted again", stateCertRejected, statePolled, []string{"Normal DaemonReachable The Docker daemon at tcp://10.0.0.5:2376 answers again (was TLSVerificationFailed)"}},
		{"pinned API version refused", statePolled, stateVersionRefused, []string{"Warning APIVersionMismatch The Docker daemon answered but refuses the API version"}},
		{"pinned API version served again", stateVersionRefused, statePolled, []string{"Normal DaemonReachable"}},
		{"suspended", statePolled, stateSuspended, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := polledHost(3, 0)
			tt.before(host)
			before := host.Status.DeepCopy()
			tt.after(host)

			rec := record.NewFakeRecorder(10)
			(&DockerHostReconciler{Recorder: rec}).notify(host, before)
			close(rec.Events)
			var got []string
			for e := range rec.Events {
				got = append(got, e)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("events %q, want %d starting %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("event %q, want prefix %q", got[i], tt.want[i])
				}
			}
		})
	}
}

// capturingRecorder is a record.EventRecorder that keeps annotations,
// which record.FakeRecorder drops.
type capturingRecorder struct{ events []capturedEvent }

type capturedEvent struct {
	object                     runtime.Object
	annotations                map[string]string
	eventType, reason, message string
}

var _ record.EventRecorder = (*capturingRecorder)(nil)

func (r *capturingRecorder) Event(obj runtime.Object, eventType, reason, message string) {
	r.events = append(r.events, capturedEvent{obj, nil, eventType, reason, message})
}

func (r *capturingRecorder) Eventf(obj runtime.Object, eventType, reason, format string, args ...any) {
	r.Event(obj, eventType, reason, fmt.Sprintf(format, args...))
}

func (r *capturingRecorder) AnnotatedEventf(obj runtime.Object, annotations map[string]string, eventType, reason, format string, args ...any) {
	r.events = append(r.events, capturedEvent{obj, annotations, eventType, reason, fmt.Sprintf(format, args...)})
}

func TestNotifyAlertsEmitsAnnotatedEventPerTransition(t *testing.T) {
	host := polledHost(3, 1)
	a := alert.Alert{Rule: "high-cpu", ContainerID: "0123456789ab", Container: "web-1", Metric: "cpuPercent",
		Value: 97.256, Threshold: 80, Severity: "critical", State: alert.Firing, Since: time.Now()}
	annotations := func(value, threshold, reason, cause string) map[string]string {
		return map[string]string{
			dockwatchv1.AnnotationHost: "ns/host", dockwatchv1.AnnotationContainer: "web-1",
			dockwatchv1.AnnotationContainerID: "0123456789ab", dockwatchv1.AnnotationRule: "high-cpu",
			dockwatchv1.AnnotationMetric: "cpuPercent", dockwatchv1.AnnotationValue: value,
			dockwatchv1.AnnotationThreshold: threshold, dockwatchv1.AnnotationClearBelow: "70",
			dockwatchv1.AnnotationSeverity: "critical",
			dockwatchv1.AnnotationReason:   reason, dockwatchv1.AnnotationCause: cause,
		}
	}
	cleared := a
	cleared.Value = 42.5
	tests := []struct {
		name       string
		transition alert.Transition
		want       capturedEvent
	}{{
		name:       "fired is a ThresholdExceeded warning",
		transition: alert.Transition{Kind: alert.Fired, Reason: alert.ReasonBreached, Alert: a, ClearLevel: 70},
		want: capturedEvent{host, annotations("97.26", "80", dockwatchv1.EventThresholdExceeded, "Breached"), corev1.EventTypeWarning, dockwatchv1.EventThresholdExceeded,
			"Container web-1 on tcp://10.0.0.5:2376: cpuPercent is 97.26, above 80 (rule high-cpu, severity critical)"},
	}, {
		name:       "cleared is a ThresholdResolved normal event",
		transition: alert.Transition{Kind: alert.Resolved, Reason: alert.ReasonCleared, Alert: cleared, ClearLevel: 70},
		want: capturedEvent{host, annotations("42.5", "70", dockwatchv1.EventThresholdResolved, "Cleared"), corev1.EventTypeNormal, dockwatchv1.EventThresholdResolved,
			"Container web-1 on tcp://10.0.0.5:2376: cpuPercent dropped to 42.5, at or below clearBelow 70 (rule high-cpu fired above 80)"},
	}, {
		name:       "a vanished container says why it resolved",
		transition: alert.Transition{Kind: alert.Resolved, Reason: alert.ReasonContainerGone, Alert: a, ClearLevel: 70},
		want: capturedEvent{host, annotations("97.26", "70", dockwatchv1.EventThresholdResolved, "ContainerGone"), corev1.EventTypeNormal, dockwatchv1.EventThresholdResolved,
			"Container web-1 on tcp://10.0.0.5:2376 is gone or no longer watched: alert high-cpu (cpuPercent above 80; last 97.26) resolved"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &capturingRecorder{}
			(&DockerHostReconciler{Recorder: rec}).notifyAlerts(host, []alert.Transition{tt.transition})
			if len(rec.events) != 1 {
				t.Fatalf("got %d events, want 1", len(rec.events))
			}
			if got := rec.events[0]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("event =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestNotifyAlertsEmitsOneEventPerContainerInOrder(t *testing.T) {
	var transitions []alert.Transition
	for _, name := range []string{"a", "b", "c"} {
		transitions = append(transitions, alert.Transition{Kind: alert.Fired, Reason: alert.ReasonBreached,
			Alert: alert.Alert{Rule: "r", ContainerID: "id-" + name, Container: name}})
	}
	rec := &capturingRecorder{}
	(&DockerHostReconciler{Recorder: rec}).notifyAlerts(polledHost(1, 3), transitions)
	var ids []string
	for _, e := range rec.events {
		ids = append(ids, e.annotations[dockwatchv1.AnnotationContainerID])
	}
	if strings.Join(ids, ",") != "id-a,id-b,id-c" {
		t.Errorf("events for %v, want id-a,id-b,id-c", ids)
	}
}

func TestResolvedEventsSayWhatHappened(t *testing.T) {
	host := polledHost(1, 1)
	a := alert.Alert{Rule: "high-cpu", ContainerID: "id", Container: "web-1", Metric: "cpuPercent", Value: 69.27, Threshold: 50, State: alert.Firing}
	for reason, want := range map[alert.Reason]string{
		alert.ReasonContainerGone: "Container web-1 on tcp://10.0.0.5:2376 is gone or no longer watched: alert high-cpu (cpuPercent above 50; last 69.27) resolved",
		alert.ReasonRuleRemoved:   "rule high-cpu was removed from the spec",
		alert.ReasonRuleChanged:   "now watches another metric",
		alert.ReasonIgnored:       dockwatchv1.LabelIgnore,
	} {
		got := thresholdEventFor(host, alert.Transition{Kind: alert.Resolved, Reason: reason, Alert: a, ClearLevel: 20})
		if !strings.Contains(got.message, want) || strings.Contains(got.message, "back within") {
			t.Errorf("%s: message %q, want it to contain %q", reason, got.message, want)
		}
		if got.annotations[dockwatchv1.AnnotationThreshold] != "20" || got.annotations[dockwatchv1.AnnotationReason] != dockwatchv1.EventThresholdResolved {
			t.Errorf("%s: annotations %v, want threshold 20 (the clear level) and reason ThresholdResolved", reason, got.annotations)
		}
	}
}

func TestFormatValueRoundsWithoutTrailingZeros(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 80: "80", 42.5: "42.5", 97.256: "97.26", 1e9: "1000000000"} {
		if got := formatValue(in); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", in, got, want)
		}
	}
}
