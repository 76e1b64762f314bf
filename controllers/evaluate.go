package controllers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// maxAlertsInStatus bounds status.alerts (the CRD allows 200; 100 keeps a
// host with thousands of breaching containers well under 64 KiB). Alerts
// past it are still tracked in memory and counted in the summary; only a
// controller restart forgets them, after which they start over as Pending.
const maxAlertsInStatus = 100

// AlertMemory keeps each host's active alerts between polls. It is seeded
// from status.alerts the first time a host is seen, so a restarted
// controller neither fires an alert twice nor forgets one that is listed in
// status. Entries carry the object's UID: a host deleted and created again
// under the same name starts afresh.
type AlertMemory struct {
	mu    sync.Mutex
	hosts map[client.ObjectKey]hostAlerts
}

// hostAlerts is what AlertMemory keeps for one host.
type hostAlerts struct {
	uid types.UID
	// endpoint names the daemon in the events sent once the host is gone.
	endpoint string
	alerts   []alert.Alert
	// warnings are the last override warnings logged, so they are logged
	// when they change rather than on every poll.
	warnings string
}

// NewAlertMemory returns an empty memory.
func NewAlertMemory() *AlertMemory {
	return &AlertMemory{hosts: map[client.ObjectKey]hostAlerts{}}
}

// load returns the host's alerts, seeding them from status on first use.
func (m *AlertMemory) load(host *dockwatchv1.DockerHost) hostAlerts {
	m.mu.Lock()
	defer m.mu.Unlock()
	if kept, ok := m.hosts[client.ObjectKeyFromObject(host)]; ok && kept.uid == host.UID {
		kept.endpoint = host.Spec.Endpoint
		return kept
	}
	return hostAlerts{uid: host.UID, endpoint: host.Spec.Endpoint, alerts: alertsFromStatus(host.Status.Alerts)}
}

// seed makes sure the host's alerts are in memory (from status on first
// sight), so they can be resolved when it is deleted even if no poll of it
// has succeeded since the controller started.
func (m *AlertMemory) seed(host *dockwatchv1.DockerHost) {
	m.store(host, m.load(host))
}

// take removes a deleted host's alerts and returns them.
func (m *AlertMemory) take(key client.ObjectKey) (hostAlerts, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept, ok := m.hosts[key]
	delete(m.hosts, key)
	return kept, ok
}

func (m *AlertMemory) store(host *dockwatchv1.DockerHost, kept hostAlerts) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts[client.ObjectKeyFromObject(host)] = kept
}

// Forget drops a deleted host's alerts.
func (m *AlertMemory) Forget(key client.ObjectKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.hosts, key)
}

// evaluate runs the host's threshold rules over the snapshot, stores the
// next alert set in memory and status, and returns the transitions to notify.
func (r *DockerHostReconciler) evaluate(ctx context.Context, host *dockwatchv1.DockerHost, snap *docker.Snapshot, now time.Time) alert.Result {
	kept := r.Alerts.load(host)
	targets := append(targetsFor(snap.Containers), unmeasuredTargets(snap.Skipped)...)
	result := alert.Evaluate(kept.alerts, rulesFor(host.Spec.Thresholds), targets, now)

	kept.alerts = result.Alerts
	if warnings := strings.Join(result.Warnings, "; "); warnings != kept.warnings {
		kept.warnings = warnings
		if warnings != "" {
			log.FromContext(ctx).Info("Ignoring unusable threshold overrides on containers", "warnings", result.Warnings)
		}
	}
	r.Alerts.store(host, kept)

	host.Status.Alerts, host.Status.AlertsOmitted = alertStatuses(result.Alerts)
	firing, pending := alert.Counts(result.Alerts)
	host.Status.Summary.AlertsFiring, host.Status.Summary.AlertsPending = int32(firing), int32(pending)
	return result
}

// rulesFor converts the spec's threshold rules, applying their defaults.
func rulesFor(specs []dockwatchv1.ThresholdRule) []alert.Rule {
	rules := make([]alert.Rule, 0, len(specs))
	for _, s := range specs {
		above := level(s.Above)
		clearBelow := above
		if s.ClearBelow != nil {
			clearBelow = level(*s.ClearBelow)
		}
		rule := alert.Rule{Name: s.Name, Metric: string(s.Metric), Above: above,
			ClearBelow: clearBelow, Severity: string(s.Severity)}
		if s.For != nil {
			rule.For = s.For.Duration
		}
		if rule.Severity == "" {
			rule.Severity = string(dockwatchv1.SeverityWarning)
		}
		rules = append(rules, rule)
	}
	return rules
}

// targetsFor gives the alert machine each container's figures by metric. A
// figure the engine could not compute yet (first CPU sample, no CPU limit)
// is left out, so it neither breaches nor clears a rule. Containers that are
// neither running nor paused (listed with includeStopped) are no targets at
// all, so their alerts resolve as the container's are gone.
func targetsFor(containers []docker.ContainerStats) []alert.Target {
	targets := make([]alert.Target, 0, len(containers))
	for _, c := range containers {
		if c.State != "" && c.State != "running" && c.State != "paused" {
			continue
		}
		values := map[string]float64{
			string(dockwatchv1.MetricMemoryBytes): float64(c.MemoryUsageBytes),
			string(dockwatchv1.MetricPIDs):        float64(c.PIDs),
		}
		if c.CPUPercent != nil {
			values[string(dockwatchv1.MetricCPUPercent)] = *c.CPUPercent
		}
		if c.CPULimitPercent != nil {
			values[string(dockwatchv1.MetricCPULimitPercent)] = *c.CPULimitPercent
		}
		if c.CPUThrottledPercent != nil {
			values[string(dockwatchv1.MetricCPUThrottledPercent)] = *c.CPUThrottledPercent
		}
		if c.MemoryLimitBytes > 0 {
			values[string(dockwatchv1.MetricMemoryPercent)] = c.MemoryPercent
		}
		targets = append(targets, alert.Target{ID: c.ID, Name: c.Name, Values: values, Labels: c.Labels})
	}
	return targets
}

// unmeasuredTargets keeps containers that are still there but had no
// figures this poll (their own stats request failed) among the targets, with
// no values, so their alerts hold their state instead of resolving as if
// the container were gone and firing again a poll later.
func unmeasuredTargets(skipped []docker.SkippedContainer) []alert.Target {
	var targets []alert.Target
	for _, s := range skipped {
		if !errors.Is(s.Err, docker.ErrContainerGone) {
			targets = append(targets, alert.Target{ID: s.ID, Name: s.Name, Values: map[string]float64{}})
		}
	}
	return targets
}

// firstUnmeasured names the first container that is still there but had no
// figures this poll, with why, for the Ready message ("" when none).
func firstUnmeasured(skipped []docker.SkippedContainer) string {
	for _, s := range skipped {
		if !errors.Is(s.Err, docker.ErrContainerGone) {
			return fmt.Sprintf("%s: %v", s.Name, s.Err)
		}
	}
	return ""
}

// alertStatuses writes the first maxAlertsInStatus alerts (the machine sorts
// firing ones first) into the API form and counts the rest.
func alertStatuses(alerts []alert.Alert) ([]dockwatchv1.AlertStatus, int32) {
	n := min(len(alerts), maxAlertsInStatus)
	out := make([]dockwatchv1.AlertStatus, 0, n)
	for _, a := range alerts[:n] {
		out = append(out, dockwatchv1.AlertStatus{
			Rule:        a.Rule,
			ContainerID: a.ContainerID,
			Container:   a.Container,
			Metric:      dockwatchv1.Metric(a.Metric),
			Value:       round2(a.Value),
			Threshold:   a.Threshold,
			Severity:    dockwatchv1.Severity(a.Severity),
			State:       dockwatchv1.AlertState(a.State),
			Since:       metav1.Time{Time: a.Since},
		})
	}
	return out, int32(len(alerts) - n)
}

// alertsFromStatus rebuilds the alert machine's state from status.alerts.
func alertsFromStatus(statuses []dockwatchv1.AlertStatus) []alert.Alert {
	alerts := make([]alert.Alert, 0, len(statuses))
	for _, s := range statuses {
		alerts = append(alerts, alert.Alert{
			Rule:        s.Rule,
			ContainerID: s.ContainerID,
			Container:   s.Container,
			Metric:      string(s.Metric),
			Value:       s.Value,
			Threshold:   s.Threshold,
			Severity:    string(s.Severity),
			State:       alert.State(s.State),
			Since:       s.Since.Time,
		})
	}
	return alerts
}

// level is a threshold's value: a plain number, or a Kubernetes quantity
// such as 512Mi or "80.5". The API server admits nothing else; a value that
// does not parse anyway is NaN, which alert.Evaluate reports and skips.
func level(v intstr.IntOrString) float64 {
	if v.Type == intstr.Int {
		return float64(v.IntVal)
	}
	q, err := resource.ParseQuantity(v.StrVal)
	if err != nil {
		return math.NaN()
	}
	return q.AsApproximateFloat64()
}
