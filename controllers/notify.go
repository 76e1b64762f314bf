package controllers

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
)

// notify emits an event for each condition that changed between before and
// the host's new status: the daemon lost or back, a configuration problem
// appearing or changing. A poll that changed nothing emits nothing.
func (r *DockerHostReconciler) notify(host *dockwatchv1.DockerHost, before *dockwatchv1.DockerHostStatus) {
	oldReach := meta.FindStatusCondition(before.Conditions, dockwatchv1.ConditionReachable)
	newReach := meta.FindStatusCondition(host.Status.Conditions, dockwatchv1.ConditionReachable)
	if newReach != nil {
		switch {
		case isUnreachable(newReach) && !isUnreachable(oldReach):
			r.Recorder.Event(host, corev1.EventTypeWarning, dockwatchv1.ReasonDaemonUnreachable, newReach.Message)
		case newReach.Status == metav1.ConditionTrue && isUnreachable(oldReach):
			r.Recorder.Event(host, corev1.EventTypeNormal, dockwatchv1.ReasonDaemonReachable,
				fmt.Sprintf("The Docker daemon at %s answers again", host.Spec.Endpoint))
		}
	}

	oldReady := meta.FindStatusCondition(before.Conditions, dockwatchv1.ConditionReady)
	newReady := meta.FindStatusCondition(host.Status.Conditions, dockwatchv1.ConditionReady)
	if isConfigProblem(newReady) && (oldReady == nil || oldReady.Reason != newReady.Reason || oldReady.Message != newReady.Message) {
		r.Recorder.Event(host, corev1.EventTypeWarning, newReady.Reason, newReady.Message)
	}
}

// notifyAlerts turns threshold transitions into events, one per container
// and rule, with annotations an event router can match on.
func (r *DockerHostReconciler) notifyAlerts(host *dockwatchv1.DockerHost, transitions []alert.Transition) {
	recorder := r.alertRecorder()
	for _, t := range transitions {
		a := t.Alert
		annotations := map[string]string{
			dockwatchv1.AnnotationHost:        host.Namespace + "/" + host.Name,
			dockwatchv1.AnnotationContainer:   a.Container,
			dockwatchv1.AnnotationContainerID: a.ContainerID,
			dockwatchv1.AnnotationRule:        a.Rule,
			dockwatchv1.AnnotationMetric:      a.Metric,
			dockwatchv1.AnnotationValue:       formatValue(a.Value),
			dockwatchv1.AnnotationThreshold:   formatValue(a.Threshold),
			dockwatchv1.AnnotationSeverity:    a.Severity,
			dockwatchv1.AnnotationReason:      string(t.Reason),
		}
		if t.Kind == alert.Fired {
			recorder.AnnotatedEventf(host, annotations, corev1.EventTypeWarning, dockwatchv1.EventThresholdExceeded,
				"Container %s on %s: %s is %s, above %s (rule %s, severity %s)",
				a.Container, host.Spec.Endpoint, a.Metric, formatValue(a.Value), formatValue(a.Threshold), a.Rule, a.Severity)
			continue
		}
		recorder.AnnotatedEventf(host, annotations, corev1.EventTypeNormal, dockwatchv1.EventThresholdResolved,
			"Container %s on %s: %s is %s, back within %s (rule %s)%s",
			a.Container, host.Spec.Endpoint, a.Metric, formatValue(a.Value), formatValue(a.Threshold), a.Rule, resolvedWhy(t))
	}
}

// alertRecorder is where threshold events go: the bounded alert event
// path when there is one.
func (r *DockerHostReconciler) alertRecorder() record.EventRecorder {
	if r.AlertEvents != nil {
		return r.AlertEvents
	}
	return r.Recorder
}

// resolvedWhy explains a resolution that did not come from the value falling.
func resolvedWhy(t alert.Transition) string {
	switch t.Reason {
	case alert.ReasonContainerGone:
		return "; the container is gone or no longer watched"
	case alert.ReasonRuleRemoved:
		return "; the rule was removed"
	case alert.ReasonRuleChanged:
		return "; the rule now watches another metric"
	case alert.ReasonIgnored:
		return "; the container is labelled " + dockwatchv1.LabelIgnore
	case ReasonHostDeleted:
		return "; the DockerHost was deleted"
	case ReasonHostSuspended:
		return "; polling is suspended by spec.suspend"
	}
	return ""
}

func isUnreachable(c *metav1.Condition) bool {
	return c != nil && c.Status == metav1.ConditionFalse && c.Reason == dockwatchv1.ReasonDaemonUnreachable
}

func isConfigProblem(c *metav1.Condition) bool {
	return c != nil && c.Status == metav1.ConditionFalse &&
		(c.Reason == dockwatchv1.ReasonTLSConfigError || c.Reason == dockwatchv1.ReasonInvalidSpec)
}

func formatValue(v float64) string {
	return strconv.FormatFloat(round2(v), 'f', -1, 64)
}
