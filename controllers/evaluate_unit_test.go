package controllers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/alert"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/stats"
)

// Unit tests for the evaluate step (evaluate.go).

func TestRulesForAppliesTheAPIDefaults(t *testing.T) {
	specs := []dockwatchv1.ThresholdRule{
		{Name: "bare", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(80)},
		{Name: "full", Metric: dockwatchv1.MetricMemoryPercent, Above: intstr.FromInt32(90), ClearBelow: ptr(intstr.FromInt32(75)),
			For: dur("2m"), Severity: dockwatchv1.SeverityCritical},
		{Name: "clear-at-zero", Metric: dockwatchv1.MetricPIDs, Above: intstr.FromInt32(10), ClearBelow: ptr(intstr.FromInt32(0))},
	}
	want := []alert.Rule{
		{Name: "bare", Metric: "cpuPercent", Above: 80, ClearBelow: 80, Severity: "warning"},
		{Name: "full", Metric: "memoryPercent", Above: 90, ClearBelow: 75, For: 2 * time.Minute, Severity: "critical"},
		{Name: "clear-at-zero", Metric: "pids", Above: 10, ClearBelow: 0, Severity: "warning"},
	}
	if got := rulesFor(specs); !reflect.DeepEqual(got, want) {
		t.Errorf("rulesFor =\n%+v\nwant\n%+v", got, want)
	}
	if got := rulesFor(nil); got == nil || len(got) != 0 {
		t.Errorf("rulesFor(nil) = %#v, want an empty slice", got)
	}
}

// TestLevelReadsNumbersAndQuantities: a threshold is a plain number or a
// Kubernetes quantity, in the metric's own units.
func TestLevelReadsNumbersAndQuantities(t *testing.T) {
	tests := []struct {
		in   intstr.IntOrString
		want float64
	}{
		{intstr.FromInt32(80), 80},
		{intstr.FromInt32(0), 0},
		{intstr.FromString("80.5"), 80.5},
		{intstr.FromString("512Mi"), 512 << 20},
		{intstr.FromString("2G"), 2e9},
		{intstr.FromString("1.5Gi"), 1.5 * (1 << 30)},
		{intstr.FromString("1e3"), 1000},
	}
	for _, tc := range tests {
		if got := level(tc.in); got != tc.want {
			t.Errorf("level(%s) = %v, want %v", tc.in.String(), got, tc.want)
		}
	}
	if got := level(intstr.FromString("80%")); !math.IsNaN(got) {
		t.Errorf("level(80%%) = %v, want NaN (not a quantity)", got)
	}
}

func TestTargetsForGivesOnlyFiguresTheEngineHas(t *testing.T) {
	labels := map[string]string{"dockwatch.io/threshold.high-cpu": "95"}
	tests := []struct {
		name string
		in   docker.ContainerStats
		want map[string]float64
	}{{
		name: "a running container with every figure",
		in: docker.ContainerStats{ID: "1", Name: "full", State: "running", Labels: labels, Usage: stats.Usage{
			CPUPercent: ptr(150.0), CPULimitPercent: ptr(75.0), CPUThrottledPercent: ptr(40.0), MemoryUsageBytes: 512, MemoryLimitBytes: 1024,
			MemoryPercent: 50, PIDs: 12}},
		want: map[string]float64{"cpuPercent": 150, "cpuLimitPercent": 75, "cpuThrottledPercent": 40, "memoryPercent": 50, "memoryBytes": 512, "pids": 12},
	}, {
		name: "an unthrottled capped container reads 0, not missing",
		in:   docker.ContainerStats{ID: "6", Name: "idle", State: "running", Usage: stats.Usage{CPUPercent: ptr(0.0), CPUThrottledPercent: ptr(0.0)}},
		want: map[string]float64{"cpuPercent": 0, "cpuThrottledPercent": 0, "memoryBytes": 0, "pids": 0},
	}, {
		name: "no cpu figure yet and no memory limit leave those metrics out",
		in:   docker.ContainerStats{ID: "2", Name: "first-poll", Usage: stats.Usage{MemoryUsageBytes: 100, PIDs: 3}},
		want: map[string]float64{"memoryBytes": 100, "pids": 3},
	}, {
		name: "cpu without a cpu limit has no cpuLimitPercent",
		in:   docker.ContainerStats{ID: "3", Name: "nolimit", State: "running", Usage: stats.Usage{CPUPercent: ptr(0.0)}},
		want: map[string]float64{"cpuPercent": 0, "memoryBytes": 0, "pids": 0},
	}, {
		name: "a paused container keeps the figures it has",
		in:   docker.ContainerStats{ID: "5", Name: "paused", State: "paused", Usage: stats.Usage{PIDs: 2}},
		want: map[string]float64{"memoryBytes": 0, "pids": 2},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := targetsFor([]docker.ContainerStats{tt.in})
			if len(got) != 1 {
				t.Fatalf("got %d targets, want 1", len(got))
			}
			if got[0].ID != tt.in.ID || got[0].Name != tt.in.Name || !reflect.DeepEqual(got[0].Labels, tt.in.Labels) {
				t.Errorf("identity = %s/%s %v", got[0].ID, got[0].Name, got[0].Labels)
			}
			if !reflect.DeepEqual(got[0].Values, tt.want) {
				t.Errorf("values = %v, want %v", got[0].Values, tt.want)
			}
		})
	}
}

// TestStoppedContainersAreNoTargets: a container listed only because of
// includeStopped is not a target, so its alerts resolve as gone.
func TestStoppedContainersAreNoTargets(t *testing.T) {
	stopped := docker.ContainerStats{ID: "4", Name: "stopped", State: "exited", Usage: stats.Usage{CPUPercent: ptr(1.0)}}
	if got := targetsFor([]docker.ContainerStats{stopped}); len(got) != 0 {
		t.Fatalf("a stopped container became a target: %+v", got)
	}
}

func sampleAlerts(n int) []alert.Alert {
	since := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	alerts := make([]alert.Alert, n)
	for i := range alerts {
		state := alert.Firing
		if i%3 == 2 {
			state = alert.Pending
		}
		alerts[i] = alert.Alert{Rule: "high-cpu", ContainerID: fmt.Sprintf("id%03d", i), Container: fmt.Sprintf("c%03d", i),
			Metric: "cpuPercent", Value: 90.25 + float64(i), Threshold: 80, Severity: "critical", State: state,
			Since: since.Add(time.Duration(i) * time.Second)}
	}
	return alerts
}

func TestAlertStatusesIsBoundedAndCountsTheRest(t *testing.T) {
	tests := []struct {
		n, wantListed, wantOmitted int
	}{
		{0, 0, 0}, {1, 1, 0}, {maxAlertsInStatus, maxAlertsInStatus, 0},
		{maxAlertsInStatus + 1, maxAlertsInStatus, 1}, {1000, maxAlertsInStatus, 900},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d alerts", tt.n), func(t *testing.T) {
			alerts := sampleAlerts(tt.n)
			got, omitted := alertStatuses(alerts)
			if len(got) != tt.wantListed || int(omitted) != tt.wantOmitted {
				t.Fatalf("listed %d, omitted %d; want %d, %d", len(got), omitted, tt.wantListed, tt.wantOmitted)
			}
			for i, s := range got {
				if s.ContainerID != alerts[i].ContainerID {
					t.Fatalf("entry %d is %s, want the machine's order (%s)", i, s.ContainerID, alerts[i].ContainerID)
				}
			}
		})
	}
}

func TestAlertStatusesRoundsTheValue(t *testing.T) {
	got, _ := alertStatuses([]alert.Alert{{Rule: "r", Value: 91.23456, Threshold: 80.555, State: alert.Pending}})
	if got[0].Value != 91.23 || got[0].Threshold != 80.555 || got[0].State != dockwatchv1.AlertPending {
		t.Errorf("status = %+v", got[0])
	}
}

func TestAlertsRoundTripThroughStatus(t *testing.T) {
	alerts := sampleAlerts(7)
	statuses, _ := alertStatuses(alerts)
	if got := alertsFromStatus(statuses); !reflect.DeepEqual(got, alerts) {
		t.Errorf("round trip changed the alerts:\n got %+v\nwant %+v", got, alerts)
	}
	if got := alertsFromStatus(nil); got == nil || len(got) != 0 {
		t.Errorf("alertsFromStatus(nil) = %#v, want empty", got)
	}
}

func TestEvaluateSeedsFromStatusOnceAndCountsAlerts(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 0, 0, 0, time.UTC)
	host := unitHost(2)
	host.Spec.Thresholds = []dockwatchv1.ThresholdRule{
		{Name: "high-cpu", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(80), For: dur("1m")},
	}
	host.Status.Summary = &dockwatchv1.HostSummary{}
	// A restarted controller finds "hot" already firing in status.
	host.Status.Alerts = []dockwatchv1.AlertStatus{{Rule: "high-cpu", ContainerID: "id-hot", Container: "hot",
		Metric: dockwatchv1.MetricCPUPercent, Value: 99, Threshold: 80, Severity: dockwatchv1.SeverityWarning,
		State: dockwatchv1.AlertFiring, Since: metav1.NewTime(now.Add(-time.Hour))}}
	snap := &docker.Snapshot{Containers: []docker.ContainerStats{
		usage("hot", ptr(97.0), 0), usage("warm", ptr(85.0), 0), usage("cool", ptr(5.0), 0)}}

	r := &DockerHostReconciler{Alerts: NewAlertMemory()}
	result := r.evaluate(context.Background(), host, snap, now)
	if len(result.Transitions) != 0 {
		t.Errorf("seeded alert fired again or pending one fired: %+v", result.Transitions)
	}
	if host.Status.Summary.AlertsFiring != 1 || host.Status.Summary.AlertsPending != 1 || len(host.Status.Alerts) != 2 {
		t.Fatalf("firing, pending, listed = %d, %d, %d; want 1, 1, 2",
			host.Status.Summary.AlertsFiring, host.Status.Summary.AlertsPending, len(host.Status.Alerts))
	}

	// Memory, not the (now stale) status, drives the next poll.
	host.Status.Alerts = nil
	result = r.evaluate(context.Background(), host, snap, now.Add(2*time.Minute))
	var fired []string
	for _, tr := range result.Transitions {
		fired = append(fired, string(tr.Kind)+":"+tr.Alert.Container)
	}
	sort.Strings(fired)
	if !reflect.DeepEqual(fired, []string{"Fired:warm"}) || host.Status.Summary.AlertsFiring != 2 {
		t.Errorf("transitions %v, firing %d; want [Fired:warm], 2", fired, host.Status.Summary.AlertsFiring)
	}

	r.Alerts.Forget(client.ObjectKeyFromObject(host))
	if got := r.Alerts.load(host).alerts; len(got) != 2 {
		t.Errorf("after Forget, load reseeds from status: got %d alerts, want 2", len(got))
	}
}

func TestAnAlertHoldsWhileItsContainerIsUnmeasuredAndResolvesWhenItIsGone(t *testing.T) {
	r := &DockerHostReconciler{Alerts: NewAlertMemory()}
	host := unitHost(1)
	host.Spec.Thresholds = []dockwatchv1.ThresholdRule{{Name: "hot", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(50)}}
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	busy := docker.ContainerStats{ID: "c1", Name: "web", State: "running"}
	busy.CPUPercent = ptr(90.0)

	poll := func(snap *docker.Snapshot, at time.Time) []alert.Transition {
		snap.Daemon = docker.DaemonInfo{MemTotalBytes: 1 << 30}
		summarise(host, snap, at, time.Second)
		return r.evaluate(context.Background(), host, snap, at).Transitions
	}
	if got := poll(&docker.Snapshot{Containers: []docker.ContainerStats{busy}}, start); len(got) != 1 || got[0].Kind != alert.Fired {
		t.Fatalf("first poll transitions = %+v, want one Fired", got)
	}
	timedOut := []docker.SkippedContainer{{ID: "c1", Name: "web", Err: errors.New("no answer within 10s")}}
	if got := poll(&docker.Snapshot{Skipped: timedOut}, start.Add(time.Minute)); len(got) != 0 || len(host.Status.Alerts) != 1 {
		t.Fatalf("a container whose stats request failed changed its alert: transitions %+v, alerts %+v", got, host.Status.Alerts)
	}
	gone := []docker.SkippedContainer{{ID: "c1", Name: "web", Err: fmt.Errorf("stats: %w", docker.ErrContainerGone)}}
	if got := poll(&docker.Snapshot{Skipped: gone}, start.Add(2*time.Minute)); len(got) != 1 || got[0].Kind != alert.Resolved {
		t.Fatalf("a vanished container's alert: transitions %+v, want one Resolved", got)
	}
}

// TestAlertLabelsAreTheAPIsLabels: internal/alert repeats the API's label
// names so that it imports nothing; they must not drift apart.
func TestAlertLabelsAreTheAPIsLabels(t *testing.T) {
	if alert.LabelIgnore != dockwatchv1.LabelIgnore || alert.LabelThresholdPrefix != dockwatchv1.LabelThresholdPrefix {
		t.Fatalf("alert labels %q/%q differ from the API's %q/%q",
			alert.LabelIgnore, alert.LabelThresholdPrefix, dockwatchv1.LabelIgnore, dockwatchv1.LabelThresholdPrefix)
	}
}

func TestAThresholdRuleOnCPUThrottledPercentFires(t *testing.T) {
	host := unitHost(1)
	host.Spec.Thresholds = []dockwatchv1.ThresholdRule{
		{Name: "throttled", Metric: dockwatchv1.MetricCPUThrottledPercent, Above: intstr.FromInt32(25)}}
	host.Status.Summary = &dockwatchv1.HostSummary{}
	capped := docker.ContainerStats{ID: "id-capped", Name: "capped", State: "running"}
	capped.CPUThrottledPercent = ptr(80.0)
	free := docker.ContainerStats{ID: "id-free", Name: "free", State: "running"}
	free.CPUThrottledPercent = ptr(0.0)
	unknown := docker.ContainerStats{ID: "id-unknown", Name: "unknown", State: "running"} // no figure

	r := &DockerHostReconciler{Alerts: NewAlertMemory()}
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	result := r.evaluate(context.Background(), host, &docker.Snapshot{Containers: []docker.ContainerStats{capped, free, unknown}}, now)
	if len(result.Transitions) != 1 || result.Transitions[0].Kind != alert.Fired || result.Transitions[0].Alert.Container != "capped" {
		t.Fatalf("transitions %+v, want one Fired for capped", result.Transitions)
	}
	if a := result.Transitions[0].Alert; a.Metric != string(dockwatchv1.MetricCPUThrottledPercent) || a.Value != 80 {
		t.Errorf("alert %+v, want cpuThrottledPercent at 80", a)
	}
}
