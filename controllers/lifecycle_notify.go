package controllers

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/lifecycle"
)

// notifyLifecycle turns lifecycle transitions into events, one per
// container and episode, annotated like the threshold events. They take the
// threshold events' path (alertRecorder): the bounded, counted queue, or the
// correlator whose spam key (spamKeyPerAlert) buckets them per container by
// their container-id annotation.
func (r *DockerHostReconciler) notifyLifecycle(host *dockwatchv1.DockerHost, snap *docker.Snapshot, transitions []lifecycle.Transition) {
	recorder := r.alertRecorder()
	for _, t := range transitions {
		annotations := map[string]string{
			dockwatchv1.AnnotationHost:         host.Namespace + "/" + host.Name,
			dockwatchv1.AnnotationContainer:    t.Name,
			dockwatchv1.AnnotationContainerID:  t.ContainerID,
			dockwatchv1.AnnotationReason:       string(t.Kind),
			dockwatchv1.AnnotationRestartCount: strconv.Itoa(t.RestartCount),
			dockwatchv1.AnnotationSource:       "events",
		}
		if t.Reconstructed {
			annotations[dockwatchv1.AnnotationSource] = "inspect"
		}
		if t.Kind == lifecycle.OOMKilled || t.Kind == lifecycle.Exited {
			annotations[dockwatchv1.AnnotationExitCode] = strconv.Itoa(t.ExitCode)
		}
		eventType := corev1.EventTypeWarning
		if t.Kind == lifecycle.RestartLoopResolved || t.Kind == lifecycle.Healthy {
			eventType = corev1.EventTypeNormal
		}
		recorder.AnnotatedEventf(host, annotations, eventType, string(t.Kind), "%s", lifecycleMessage(host, snap, t))
	}
}

// lifecycleMessage is the event's one-sentence message.
func lifecycleMessage(host *dockwatchv1.DockerHost, snap *docker.Snapshot, t lifecycle.Transition) string {
	subject := fmt.Sprintf("Container %s on %s", t.Name, host.Spec.Endpoint)
	window := lifecycleConfig(host).RestartLoopWindow
	if window == 0 {
		window = lifecycle.DefaultRestartLoopWindow
	}
	switch t.Kind {
	case lifecycle.OOMKilled:
		return fmt.Sprintf("%s was killed for memory by the kernel (memory limit %s%s)", subject, limitText(t.MemoryLimitBytes), lastUsage(snap, t.ContainerID))
	case lifecycle.Exited:
		return fmt.Sprintf("%s exited with code %d", subject, t.ExitCode)
	case lifecycle.RestartLoop:
		return fmt.Sprintf("%s is in a restart loop: restarted at least %d times within %s (restart count %d)", subject, t.RestartsInWindow, window, t.RestartCount)
	case lifecycle.RestartLoopResolved:
		return fmt.Sprintf("%s has run for %s without restarting (restart count %d)", subject, window, t.RestartCount)
	case lifecycle.Unhealthy:
		return fmt.Sprintf("%s is unhealthy; last health check: %s", subject, orUnknown(t.HealthOutput))
	case lifecycle.Healthy:
		return fmt.Sprintf("%s is healthy again; last health check: %s", subject, orUnknown(t.HealthOutput))
	}
	return subject + ": " + string(t.Kind)
}

// limitText is a memory limit for a message.
func limitText(limit int64) string {
	if limit <= 0 {
		return "none"
	}
	return humanBytes(limit)
}

// lastUsage is "; last measured usage X" when this poll measured the container.
func lastUsage(snap *docker.Snapshot, id string) string {
	for _, c := range snap.Containers {
		if c.ID == id && c.MemoryUsageBytes > 0 {
			return "; last measured usage " + humanBytes(clampInt64(c.MemoryUsageBytes))
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
