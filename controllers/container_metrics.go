package controllers

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Lifecycle metric descriptions. The counters are Docker's own counts (the
// restart count, the OOM kills seen) as last polled, for the containers
// listed in status: the same cardinality bound as the utilization series.
var (
	oomKillsDesc = prometheus.NewDesc("dockwatch_container_oom_kills_total",
		"OOM kills seen for the container.", containerLabels, nil)
	restartsDesc = prometheus.NewDesc("dockwatch_container_restarts_total",
		"Restarts of the container by its Docker restart policy.", containerLabels, nil)
	healthDesc = prometheus.NewDesc("dockwatch_container_health",
		"1 while the container's health check reports this status, per status (starting, healthy, unhealthy).",
		append(containerLabels[:len(containerLabels):len(containerLabels)], "status"), nil)
)

// lifecycleCollector exports the lifecycle figures of each host's listed
// containers as they were at the host's last poll.
type lifecycleCollector struct {
	mu    sync.Mutex
	hosts map[client.ObjectKey][]lifecycleSample
}

// lifecycleSample is one container's lifecycle figures.
type lifecycleSample struct {
	labels         []string
	oomKills, runs int32
	health         string
}

func newLifecycleCollector() *lifecycleCollector {
	return &lifecycleCollector{hosts: map[client.ObjectKey][]lifecycleSample{}}
}

// observe replaces the host's samples with its listed containers.
func (c *lifecycleCollector) observe(key client.ObjectKey, containers []dockwatchv1.ContainerUsage) {
	samples := make([]lifecycleSample, 0, len(containers))
	for _, u := range containers {
		samples = append(samples, lifecycleSample{
			labels: []string{key.Namespace, key.Name, u.Name, u.ID}, oomKills: u.OOMKills, runs: u.RestartCount, health: u.Health})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts[key] = samples
}

// forget drops a deleted host's samples.
func (c *lifecycleCollector) forget(key client.ObjectKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.hosts, key)
}

// Describe implements prometheus.Collector.
func (c *lifecycleCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- oomKillsDesc
	ch <- restartsDesc
	ch <- healthDesc
}

// Collect implements prometheus.Collector.
func (c *lifecycleCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, samples := range c.hosts {
		for _, s := range samples {
			ch <- prometheus.MustNewConstMetric(oomKillsDesc, prometheus.CounterValue, float64(s.oomKills), s.labels...)
			ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(s.runs), s.labels...)
			if s.health != "" {
				ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, 1, append(s.labels[:4:4], s.health)...)
			}
		}
	}
}
