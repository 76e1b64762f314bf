package controllers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
)

// Reasons for resolutions that come from the host, not from its containers.
const (
	// ReasonHostDeleted: the DockerHost was deleted while the alert fired.
	ReasonHostDeleted alert.Reason = "HostDeleted"
	// ReasonHostSuspended: spec.suspend was set while the alert fired.
	ReasonHostSuspended alert.Reason = "HostSuspended"
)

// resolveAll is a Resolved transition, for reason, for each firing alert;
// pending ones end silently, as they do in the alert machine.
func resolveAll(alerts []alert.Alert, reason alert.Reason) []alert.Transition {
	var transitions []alert.Transition
	for _, a := range alerts {
		if a.State == alert.Firing {
			transitions = append(transitions, alert.Transition{Kind: alert.Resolved, Reason: reason, Alert: a})
		}
	}
	return transitions
}

// resolveDeleted sends ThresholdResolved for each alert a deleted host was
// firing, so pipelines close them, and drops the host's alert memory. A
// host this manager never saw (deleted while it was down) has no memory.
func (r *DockerHostReconciler) resolveDeleted(key client.ObjectKey) {
	kept, ok := r.Alerts.take(key)
	if !ok {
		return
	}
	// The object is gone; events still refer to it by name and UID.
	gone := &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, UID: kept.uid},
		Spec:       dockwatchv1.DockerHostSpec{Endpoint: kept.endpoint},
	}
	r.notifyAlerts(gone, resolveAll(kept.alerts, ReasonHostDeleted))
}

// resolveSuspended resolves a suspended host's alerts: events for the
// firing ones, and a status that lists none and says why.
func (r *DockerHostReconciler) resolveSuspended(host *dockwatchv1.DockerHost) {
	kept := r.Alerts.load(host)
	transitions := resolveAll(kept.alerts, ReasonHostSuspended)
	kept.alerts = nil
	r.Alerts.store(host, kept)

	host.Status.Alerts, host.Status.AlertsOmitted = nil, 0
	if host.Status.Summary != nil {
		host.Status.Summary.AlertsFiring, host.Status.Summary.AlertsPending = 0, 0
	}
	setCondition(host, dockwatchv1.ConditionThresholdsBreached, metav1.ConditionFalse, dockwatchv1.ReasonSuspended,
		"No alert is evaluated while spec.suspend is true")
	r.notifyAlerts(host, transitions)
}
