package controllers

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestLifecycleMetricsFollowTheListedContainers(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	host := metricsHost("ns", "h", 0, 0, "web=w1", "db=d1")
	host.Status.Containers[0].OOMKills, host.Status.Containers[0].RestartCount = 2, 5
	host.Status.Containers[0].Health = "unhealthy"
	host.Status.Containers[0].CPUThrottledPercent = ptr(42.0)
	m.observePoll(host, 0)

	web, db := containerSeries("ns", "h", "web", "w1"), containerSeries("ns", "h", "db", "d1")
	if got := series(t, scrape, "dockwatch_container_oom_kills_total"); got[web] != 2 || got[db] != 0 || len(got) != 2 {
		t.Errorf("oom kills = %v", got)
	}
	if got := series(t, scrape, "dockwatch_container_restarts_total"); got[web] != 5 {
		t.Errorf("restarts = %v", got)
	}
	if got := series(t, scrape, "dockwatch_container_health"); len(got) != 1 || got[web+",status=unhealthy"] != 1 {
		t.Errorf("health = %v, want only web's unhealthy", got)
	}
	if got := series(t, scrape, "dockwatch_container_cpu_throttled_percent"); len(got) != 1 || got[web] != 42 {
		t.Errorf("throttled = %v, want web's 42 only (db has no figure)", got)
	}

	m.forget(client.ObjectKeyFromObject(host))
	for _, name := range []string{"dockwatch_container_oom_kills_total", "dockwatch_container_health", "dockwatch_container_cpu_throttled_percent"} {
		if got := series(t, scrape, name); len(got) != 0 {
			t.Errorf("%s after forget = %v, want none", name, got)
		}
	}
}
