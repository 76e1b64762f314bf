package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
)

// thresholdEvent is one threshold transition as an event.
type thresholdEvent struct {
	annotations                map[string]string
	eventType, reason, message string
}

// thresholdEventFor words a transition: a firing alert says the value and the
// level it exceeded; a resolved one says what happened (the value dropped
// to the clear level, the container went away, the rule was removed) and
// cites the clear level, which the threshold annotation carries too.
func thresholdEventFor(host *dockwatchv1.DockerHost, t alert.Transition) thresholdEvent {
	a := t.Alert
	ev := thresholdEvent{eventType: corev1.EventTypeNormal, reason: dockwatchv1.EventThresholdResolved}
	level := t.ClearLevel
	if t.Kind == alert.Fired {
		ev.eventType, ev.reason, level = corev1.EventTypeWarning, dockwatchv1.EventThresholdExceeded, a.Threshold
	}
	ev.annotations = map[string]string{
		dockwatchv1.AnnotationHost:        host.Namespace + "/" + host.Name,
		dockwatchv1.AnnotationContainer:   a.Container,
		dockwatchv1.AnnotationContainerID: a.ContainerID,
		dockwatchv1.AnnotationRule:        a.Rule,
		dockwatchv1.AnnotationMetric:      a.Metric,
		dockwatchv1.AnnotationValue:       formatValue(a.Value),
		dockwatchv1.AnnotationThreshold:   formatValue(level),
		dockwatchv1.AnnotationClearBelow:  formatValue(t.ClearLevel),
		dockwatchv1.AnnotationSeverity:    a.Severity,
		dockwatchv1.AnnotationReason:      ev.reason,
		dockwatchv1.AnnotationCause:       string(t.Reason),
	}
	ev.message = alertMessage(host, t)
	return ev
}

// alertMessage is the event's sentence.
func alertMessage(host *dockwatchv1.DockerHost, t alert.Transition) string {
	a := t.Alert
	on := fmt.Sprintf("Container %s on %s", a.Container, host.Spec.Endpoint)
	v, above, clear := formatValue(a.Value), formatValue(a.Threshold), formatValue(t.ClearLevel)
	alertOf := fmt.Sprintf("alert %s (%s above %s; last %s) resolved", a.Rule, a.Metric, above, v)
	switch t.Reason {
	case alert.ReasonBreached:
		return fmt.Sprintf("%s: %s is %s, above %s (rule %s, severity %s)", on, a.Metric, v, above, a.Rule, a.Severity)
	case alert.ReasonCleared:
		if t.ClearLevel < a.Threshold {
			return fmt.Sprintf("%s: %s dropped to %s, at or below clearBelow %s (rule %s fired above %s)", on, a.Metric, v, clear, a.Rule, above)
		}
		return fmt.Sprintf("%s: %s dropped to %s, at or below %s (rule %s)", on, a.Metric, v, above, a.Rule)
	case alert.ReasonContainerGone:
		return fmt.Sprintf("%s is gone or no longer watched: %s", on, alertOf)
	case alert.ReasonRuleRemoved:
		return fmt.Sprintf("%s: rule %s was removed from the spec: %s", on, a.Rule, alertOf)
	case alert.ReasonRuleChanged:
		return fmt.Sprintf("%s: rule %s now watches another metric: %s", on, a.Rule, alertOf)
	case alert.ReasonIgnored:
		return fmt.Sprintf("%s is labelled %s: %s", on, dockwatchv1.LabelIgnore, alertOf)
	case ReasonHostDeleted:
		return fmt.Sprintf("%s: the DockerHost was deleted: %s", on, alertOf)
	case ReasonHostSuspended:
		return fmt.Sprintf("%s: polling is suspended by spec.suspend: %s", on, alertOf)
	}
	return fmt.Sprintf("%s: %s", on, alertOf)
}
