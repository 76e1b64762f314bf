package controllers

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// Bands a DockerHost on Podman must show (issue 12), and how long the test
// may watch for one poll inside each: other tests' load can take the
// machine for a few polls.
const (
	podmanBusyLow, podmanBusyHigh = 90.0, 110.0
	podmanHalfLow, podmanHalfHigh = 40.0, 60.0
	podmanBandWithin              = 120 * time.Second
)

// startPodman gates on the control plane and Podman, then starts a
// private Podman service.
func startPodman(t *testing.T) *dockertest.Podman {
	t.Helper()
	requireControlPlane(t)
	dockertest.RequirePodman(t)
	return dockertest.StartPodman(t)
}

// TestDockerHostOnPodman polls a real Podman service: status names the
// engine, a one-core loop reads one core and a --cpus 0.5 loop half of one
// (Docker's formula over Podman's host counter reads more), a -m 64m limit
// shows exactly, and a threshold rule fires its event.
func TestDockerHostOnPodman(t *testing.T) {
	p := startPodman(t)
	p.RunBusy(t, "pburn")
	p.RunBusy(t, "phalf", "--cpus", "0.5")
	p.RunIdle(t, "pidle", "-m", "64m")
	ns := newNamespace(t)
	mgr := startManager(t, Scope{})

	// Above 5% rather than 50: the rule proves the alert path on Podman's
	// figures whatever the machine's load; the bands below prove the figures.
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "podman", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			// Podman answers /version by running conmon and runc for their
			// versions, which can take several seconds on a loaded
			// machine.
			Endpoint: p.Host, Interval: dur("10s"), Timeout: dur("10s"),
			Thresholds: []dockwatchv1.ThresholdRule{{Name: "busy", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(5), For: dur("5s")}},
		},
	})
	host := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyWithin)
	if d := host.Status.Daemon; d == nil || d.Engine != dockwatchv1.EnginePodman || d.EngineVersion == "" {
		t.Errorf("status.daemon = %+v, want engine Podman and its version", d)
	}
	if r := condition(host, dockwatchv1.ConditionReachable); r.Message == "" || r.Message[:6] != "Podman" {
		t.Errorf("Reachable message %q, want it to name Podman", r.Message)
	}

	t.Run("one-core loop", func(t *testing.T) { waitCPUBand(t, key, "pburn", podmanBusyLow, podmanBusyHigh) })
	t.Run("half-core loop", func(t *testing.T) { waitCPUBand(t, key, "phalf", podmanHalfLow, podmanHalfHigh) })
	t.Run("memory limit of -m 64m", func(t *testing.T) {
		idle := findContainer(getHost(t, key), "pidle")
		if idle == nil || idle.MemoryLimitBytes != 64<<20 || idle.MemoryBytes <= 0 {
			t.Errorf("pidle = %+v, want usage under a limit of exactly %d", idle, 64<<20)
		}
	})
	t.Run("threshold event fires", func(t *testing.T) {
		waitFor(t, 40*time.Second, "a ThresholdExceeded event for pburn", func() (bool, string) {
			for _, e := range eventsFor(t, key, dockwatchv1.EventThresholdExceeded) {
				if e.Annotations[dockwatchv1.AnnotationContainer] == "pburn" {
					assertAlertEvent(t, e, "pburn", "busy")
					return true, ""
				}
			}
			return false, describe(getHost(t, key))
		})
	})
	t.Run("host info metric carries the engine", func(t *testing.T) {
		if v, ok := labelledGauge(t, mgr, "dockwatch_host_info", "engine", "Podman"); !ok || v != 1 {
			t.Errorf("dockwatch_host_info{engine=Podman} = %v (present %v), want 1", v, ok)
		}
	})
}

// waitCPUBand watches the host's status until name's CPU figure is inside
// [low, high], logging every distinct reading.
func waitCPUBand(t *testing.T, key client.ObjectKey, name string, low, high float64) {
	t.Helper()
	var readings []string
	var last time.Time
	waitFor(t, podmanBandWithin, fmt.Sprintf("%s CPU within %.0f-%.0f%%", name, low, high), func() (bool, string) {
		host := getHost(t, key)
		c := findContainer(host, name)
		if c == nil || c.CPUPercent == nil || host.Status.LastPollTime == nil {
			return false, describe(host)
		}
		if poll := host.Status.LastPollTime.Time; poll.After(last) {
			last = poll
			readings = append(readings, fmt.Sprintf("%.1f", *c.CPUPercent))
		}
		return *c.CPUPercent >= low && *c.CPUPercent <= high, fmt.Sprint("readings ", readings)
	})
	t.Logf("%s CPU readings: %v (band %.0f-%.0f%%)", name, readings, low, high)
}

// labelledGauge reads the first series of a gauge whose label has value;
// an empty label matches any series that has labels.
func labelledGauge(t *testing.T, mgr *runningManager, name, label, value string) (float64, bool) {
	t.Helper()
	families, err := mgr.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
		for _, m := range family.GetMetric() {
			for _, l := range m.GetLabel() {
				if label == "" || (l.GetName() == label && l.GetValue() == value) {
					return m.GetGauge().GetValue(), true
				}
			}
		}
	}
	return 0, false
}
