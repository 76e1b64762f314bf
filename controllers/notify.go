package controllers

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/record"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
)

// notify emits an event for each condition that changed between before and
// the host's new status (see conditionEvents): a problem appearing or
// changing as a Warning, its end as a Normal event. A poll that changed
// nothing emits nothing.
func (r *DockerHostReconciler) notify(host *dockwatchv1.DockerHost, before *dockwatchv1.DockerHostStatus) {
	for _, e := range conditionEvents(host, before) {
		r.Recorder.Event(host, e.eventType, e.reason, e.message)
	}
}

// notifyAlerts turns threshold transitions into events, one per container
// and rule, with annotations an event router can match on (thresholdEventFor).
func (r *DockerHostReconciler) notifyAlerts(host *dockwatchv1.DockerHost, transitions []alert.Transition) {
	recorder := r.alertRecorder()
	for _, t := range transitions {
		e := thresholdEventFor(host, t)
		recorder.AnnotatedEventf(host, e.annotations, e.eventType, e.reason, "%s", e.message)
	}
}

// alertRecorder is where threshold and lifecycle events go: the bounded
// alert event path when there is one.
func (r *DockerHostReconciler) alertRecorder() record.EventRecorder {
	if r.AlertEvents != nil {
		return r.AlertEvents
	}
	return r.Recorder
}

func isConfigProblem(c *metav1.Condition) bool {
	return c != nil && c.Status == metav1.ConditionFalse &&
		(c.Reason == dockwatchv1.ReasonTLSConfigError || c.Reason == dockwatchv1.ReasonInvalidSpec)
}

func formatValue(v float64) string {
	return strconv.FormatFloat(round2(v), 'f', -1, 64)
}
