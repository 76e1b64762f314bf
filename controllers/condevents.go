package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// conditionEvent is one event a change of the Ready condition calls for.
type conditionEvent struct {
	eventType, reason, message string
}

// problemReasons are the Ready reasons that announce themselves with a
// Warning and their end with a Normal event: the reason of the Normal one.
var problemReasons = map[string]string{
	dockwatchv1.ReasonDaemonUnreachable:     dockwatchv1.ReasonDaemonReachable,
	dockwatchv1.ReasonTLSVerificationFailed: dockwatchv1.ReasonDaemonReachable,
	dockwatchv1.ReasonAPIVersionMismatch:    dockwatchv1.ReasonDaemonReachable,
	dockwatchv1.ReasonTLSConfigError:        dockwatchv1.ReasonConfigurationFixed,
	dockwatchv1.ReasonInvalidSpec:           dockwatchv1.ReasonConfigurationFixed,
}

// conditionEvents compares Ready before and after a reconcile. A problem
// that appears, or changes reason, is a Warning under its reason; a spec or
// Secret problem whose message changes is one too (the user fixed one
// thing and met the next). A host that is Ready again after a problem gets
// the Normal counterpart. A reconcile that changed nothing emits nothing.
func conditionEvents(host *dockwatchv1.DockerHost, before *dockwatchv1.DockerHostStatus) []conditionEvent {
	oldReady := meta.FindStatusCondition(before.Conditions, dockwatchv1.ConditionReady)
	newReady := meta.FindStatusCondition(host.Status.Conditions, dockwatchv1.ConditionReady)
	if newReady == nil {
		return nil
	}
	if isProblem(newReady) {
		changed := oldReady == nil || oldReady.Reason != newReady.Reason ||
			(isConfigProblem(newReady) && oldReady.Message != newReady.Message)
		if !changed {
			return nil
		}
		return []conditionEvent{{corev1.EventTypeWarning, newReady.Reason, newReady.Message}}
	}
	if newReady.Status != metav1.ConditionTrue || !isProblem(oldReady) {
		return nil
	}
	normal := problemReasons[oldReady.Reason]
	msg := fmt.Sprintf("The Docker daemon at %s answers again (was %s)", host.Spec.Endpoint, oldReady.Reason)
	if normal == dockwatchv1.ReasonConfigurationFixed {
		msg = fmt.Sprintf("The host is usable again (was %s); the Docker daemon at %s answered", oldReady.Reason, host.Spec.Endpoint)
	}
	return []conditionEvent{{corev1.EventTypeNormal, normal, msg}}
}

// isProblem reports a Ready=False whose reason has a Warning event.
func isProblem(c *metav1.Condition) bool {
	if c == nil || c.Status != metav1.ConditionFalse {
		return false
	}
	_, ok := problemReasons[c.Reason]
	return ok
}
