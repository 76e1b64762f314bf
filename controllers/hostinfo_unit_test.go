package controllers

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// infoSeries is a dockwatch_host_info series key as series() prints it.
func infoSeries(host, engine, engineVersion, version string) string {
	return "dockerhost=" + host + ",engine=" + engine + ",engine_version=" + engineVersion + ",namespace=ns,version=" + version
}

func TestHostInfoLabelsTheEngineAndFollowsChanges(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	host := metricsHost("ns", "h", 0, 0)
	host.Status.Daemon = &dockwatchv1.DaemonInfo{Version: "4.3.1", Engine: dockwatchv1.EnginePodman, EngineVersion: "4.3.1"}
	m.observePoll(host, time.Second)
	other := metricsHost("ns", "other", 0, 0)
	other.Status.Daemon = &dockwatchv1.DaemonInfo{Version: "17.06.0-ce"}
	m.observePoll(other, time.Second)
	want := map[string]float64{infoSeries("h", "Podman", "4.3.1", "4.3.1"): 1, infoSeries("other", "", "", "17.06.0-ce"): 1}
	if got := series(t, reg, "dockwatch_host_info"); !equalSeries(got, want) {
		t.Errorf("host_info = %v, want %v", got, want)
	}

	// Another engine behind the same endpoint replaces the series.
	host.Status.Daemon = &dockwatchv1.DaemonInfo{Version: "20.10.24", Engine: dockwatchv1.EngineDocker, EngineVersion: "20.10.24"}
	m.observePoll(host, time.Second)
	want = map[string]float64{infoSeries("h", "Docker", "20.10.24", "20.10.24"): 1, infoSeries("other", "", "", "17.06.0-ce"): 1}
	if got := series(t, reg, "dockwatch_host_info"); !equalSeries(got, want) {
		t.Errorf("host_info after the engine changed = %v, want %v", got, want)
	}

	m.forget(client.ObjectKeyFromObject(host))
	want = map[string]float64{infoSeries("other", "", "", "17.06.0-ce"): 1}
	if got := series(t, reg, "dockwatch_host_info"); !equalSeries(got, want) {
		t.Errorf("host_info after forget = %v, want %v", got, want)
	}
}

func TestSummariseRecordsTheEngineAndReachableNamesIt(t *testing.T) {
	host := unitHost(2)
	snap := &docker.Snapshot{Daemon: docker.DaemonInfo{Version: "4.3.1", Engine: docker.EnginePodman, EngineVersion: "4.3.1"}}
	summarise(host, snap, time.Now(), time.Second)
	if d := host.Status.Daemon; d.Engine != dockwatchv1.EnginePodman || d.EngineVersion != "4.3.1" {
		t.Errorf("daemon = %+v, want engine Podman 4.3.1", d)
	}
	markPolled(host, "")
	for _, c := range host.Status.Conditions {
		if c.Type == dockwatchv1.ConditionReachable && !strings.HasPrefix(c.Message, "Podman 4.3.1 answered at ") {
			t.Errorf("Reachable message %q, want it to name Podman", c.Message)
		}
	}
}
