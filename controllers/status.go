package controllers

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docker/go-units"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// defaultMaxContainersInStatus applies when the spec leaves the bound at zero
// on objects created before the API server defaulted it.
const defaultMaxContainersInStatus = 20

// summarise writes the snapshot into status as a bounded summary: totals, the
// daemon's self-description and the busiest containers.
func summarise(host *dockwatchv1.DockerHost, snap *docker.Snapshot, now time.Time, took time.Duration) {
	st := &host.Status
	st.Daemon = daemonInfo(snap.Daemon)
	st.LastPollTime = &metav1.Time{Time: now}
	st.PollDurationMillis = took.Milliseconds()
	st.Summary = hostSummary(snap)
	st.Containers, st.ContainersOmitted = topContainers(snap.Containers, host.Spec.MaxContainersInStatus)
}

func daemonInfo(d docker.DaemonInfo) *dockwatchv1.DaemonInfo {
	return &dockwatchv1.DaemonInfo{
		Version:       d.Version,
		APIVersion:    d.APIVersion,
		OS:            d.OS,
		KernelVersion: d.KernelVersion,
		NCPU:          int32(d.NCPU),
		MemTotalBytes: d.MemTotalBytes,
		Engine:        dockwatchv1.Engine(d.Engine),
		EngineVersion: d.EngineVersion,
	}
}

// hostSummary totals the watched containers. Alert counts are filled in by
// the evaluation step.
func hostSummary(snap *docker.Snapshot) *dockwatchv1.HostSummary {
	s := &dockwatchv1.HostSummary{
		ContainersRunning:    int32(snap.Running),
		ContainersWatched:    int32(len(snap.Containers)),
		ContainersUnmeasured: int32(len(unmeasuredTargets(snap.Skipped))),
	}
	var cpu float64
	measured := 0
	for _, c := range snap.Containers {
		if c.CPUPercent != nil {
			cpu += *c.CPUPercent
			measured++
		}
		s.MemoryBytes += clampInt64(c.MemoryUsageBytes)
	}
	// No container with a figure means no figure, not 0%: right after the
	// first poll a busy host would otherwise read as idle.
	s.CPU = noFigure
	if measured > 0 || len(snap.Containers) == 0 {
		s.CPUPercent = ptrTo(round2(cpu))
		s.CPU = fmt.Sprintf("%.1f%%", *s.CPUPercent)
	}
	if snap.Daemon.MemTotalBytes > 0 {
		s.MemoryPercent = round2(float64(s.MemoryBytes) / float64(snap.Daemon.MemTotalBytes) * 100)
	}
	s.Memory = fmt.Sprintf("%s (%.1f%%)", humanBytes(s.MemoryBytes), s.MemoryPercent)
	return s
}

// noFigure is what the CPU column shows when no container has a figure.
const noFigure = "-"

func ptrTo(v float64) *float64 { return &v }

// topContainers keeps the limit busiest containers by CPU (ties by name) and
// counts the rest, so status stays small whatever the host runs.
func topContainers(all []docker.ContainerStats, limit int32) ([]dockwatchv1.ContainerUsage, int32) {
	if limit <= 0 {
		limit = defaultMaxContainersInStatus
	}
	sorted := make([]docker.ContainerStats, len(all))
	copy(sorted, all)
	sort.SliceStable(sorted, func(i, j int) bool {
		ci, cj := cpuOrMinus(sorted[i].CPUPercent), cpuOrMinus(sorted[j].CPUPercent)
		if ci != cj {
			return ci > cj
		}
		return sorted[i].Name < sorted[j].Name
	})
	n := min(int(limit), len(sorted))
	out := make([]dockwatchv1.ContainerUsage, 0, n)
	for _, c := range sorted[:n] {
		out = append(out, containerUsage(c))
	}
	return out, int32(len(sorted) - n)
}

func containerUsage(c docker.ContainerStats) dockwatchv1.ContainerUsage {
	return dockwatchv1.ContainerUsage{
		ID:                  c.ID,
		Name:                c.Name,
		Image:               c.Image,
		CPUPercent:          roundPtr(c.CPUPercent),
		CPULimitPercent:     roundPtr(c.CPULimitPercent),
		CPUThrottledPercent: roundPtr(c.CPUThrottledPercent),
		MemoryBytes:         clampInt64(c.MemoryUsageBytes),
		MemoryLimitBytes:    clampInt64(c.MemoryLimitBytes),
		MemoryPercent:       round2(c.MemoryPercent),
		NetRxBytes:          clampInt64(c.NetRxBytes),
		NetTxBytes:          clampInt64(c.NetTxBytes),
		BlockReadBytes:      clampInt64(c.BlockReadBytes),
		BlockWriteBytes:     clampInt64(c.BlockWriteBytes),
		PIDs:                clampInt64(c.PIDs),
	}
}

// markPolled records a successful poll in the conditions. firstUnmeasured
// describes a container that had no figures this poll ("" when none).
func markPolled(host *dockwatchv1.DockerHost, firstUnmeasured string) {
	setCondition(host, dockwatchv1.ConditionReachable, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded,
		fmt.Sprintf("%s %s answered at %s", engineName(host.Status.Daemon), host.Status.Daemon.Version, host.Spec.Endpoint))
	firing := host.Status.Summary.AlertsFiring
	if firing > 0 {
		setCondition(host, dockwatchv1.ConditionThresholdsBreached, metav1.ConditionTrue, dockwatchv1.ReasonAlertsFiring,
			fmt.Sprintf("%d alert(s) firing", firing))
	} else {
		setCondition(host, dockwatchv1.ConditionThresholdsBreached, metav1.ConditionFalse, dockwatchv1.ReasonWithinThresholds,
			"No alert is firing")
	}
	setCondition(host, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyMessage(host.Status.Summary, firstUnmeasured))
	// The generation is fully handled only once a poll with it has succeeded.
	host.Status.ObservedGeneration = host.Generation
}

// readyMessage says what a successful poll watched, and which container it
// could not measure, if any.
func readyMessage(s *dockwatchv1.HostSummary, firstUnmeasured string) string {
	msg := fmt.Sprintf("Watching %s; %d running on the daemon", plural(int(s.ContainersWatched), "container"), s.ContainersRunning)
	if s.ContainersUnmeasured > 0 {
		msg += fmt.Sprintf("; %d without figures this poll (first: %s)", s.ContainersUnmeasured, firstUnmeasured)
	}
	return msg
}

// markUnreachable records a failed poll under the reason its kind calls
// for (see pollFailure); the last good figures stay in status. It returns
// the reason.
func markUnreachable(host *dockwatchv1.DockerHost, err error) string {
	f := pollFailure(host, err)
	setCondition(host, dockwatchv1.ConditionReachable, f.reachable, f.reason, f.message)
	setCondition(host, dockwatchv1.ConditionReady, metav1.ConditionFalse, f.reason, f.message)
	restampThresholds(host)
	return f.reason
}

// markConfigError records a spec or Secret problem the user must fix.
func markConfigError(host *dockwatchv1.DockerHost, err *configError) {
	setCondition(host, dockwatchv1.ConditionReady, metav1.ConditionFalse, err.reason, err.Error())
	markNotPolled(host, err.reason, "Not polled: "+err.Error())
}

// markSuspended records that the host is deliberately not polled.
func markSuspended(host *dockwatchv1.DockerHost) {
	setCondition(host, dockwatchv1.ConditionReady, metav1.ConditionFalse, dockwatchv1.ReasonSuspended,
		"Polling is suspended by spec.suspend")
	markNotPolled(host, dockwatchv1.ReasonSuspended, "Not polled while spec.suspend is true")
}

// markNotPolled completes a generation that was handled without a poll: the
// daemon was not tried, so reachability is unknown, and the alert condition
// keeps its status (the alerts in status are the last known) under the new
// generation.
func markNotPolled(host *dockwatchv1.DockerHost, reason, message string) {
	setCondition(host, dockwatchv1.ConditionReachable, metav1.ConditionUnknown, reason, message)
	restampThresholds(host)
	host.Status.ObservedGeneration = host.Generation
}

// restampThresholds carries ThresholdsBreached over to the current
// generation unchanged when a reconcile could not evaluate it: the alerts in
// status are still the last known.
func restampThresholds(host *dockwatchv1.DockerHost) {
	if c := meta.FindStatusCondition(host.Status.Conditions, dockwatchv1.ConditionThresholdsBreached); c != nil {
		setCondition(host, c.Type, c.Status, c.Reason, c.Message)
	}
}

// markInsecure keeps the Insecure condition in step with the spec's opt-outs.
func markInsecure(host *dockwatchv1.DockerHost) {
	switch {
	case host.Spec.TLS != nil && host.Spec.TLS.InsecureSkipVerify:
		setCondition(host, dockwatchv1.ConditionInsecure, metav1.ConditionTrue, dockwatchv1.ReasonInsecureSkipVerify,
			"spec.tls.insecureSkipVerify is set: the daemon's certificate is not verified")
	case host.Spec.TLS == nil && host.Spec.AllowPlaintext && strings.HasPrefix(host.Spec.Endpoint, "tcp://"):
		setCondition(host, dockwatchv1.ConditionInsecure, metav1.ConditionTrue, dockwatchv1.ReasonPlaintext,
			"spec.allowPlaintext is set: traffic to the daemon is not encrypted")
	default:
		setCondition(host, dockwatchv1.ConditionInsecure, metav1.ConditionFalse, dockwatchv1.ReasonSecure, secureMessage(host))
	}
}

func setCondition(host *dockwatchv1.DockerHost, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&host.Status.Conditions, metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            truncate(message, 1024),
		ObservedGeneration: host.Generation,
	})
}

func cpuOrMinus(v *float64) float64 {
	if v == nil {
		return -1
	}
	return *v
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func roundPtr(v *float64) *float64 {
	if v == nil {
		return nil
	}
	r := round2(*v)
	return &r
}

// clampInt64 converts a counter to the API's int64 without wrapping negative.
func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// humanBytes formats a byte count with binary units as `docker stats`
// does (go-units' BytesSize: four significant digits, e.g. "1.172GiB").
func humanBytes(n int64) string {
	return units.BytesSize(float64(n))
}

// truncate bounds a condition message without splitting a UTF-8 character.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
