package controllers

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Per-container metric descriptions, for the containers listed in
// status.containers. The lifecycle counters are Docker's own counts (the
// restart count, the OOM kills seen) as last polled.
var (
	containerCPUDesc = prometheus.NewDesc("dockwatch_container_cpu_percent",
		"CPU use of a container in percent, as docker stats shows it (100 is one full core); absent until two samples exist.", containerLabels, nil)
	containerCPULimitDesc = prometheus.NewDesc("dockwatch_container_cpu_limit_percent",
		"CPU use of a container in percent of its own CPU limit (--cpus or quota); absent without a limit.", containerLabels, nil)
	containerThrottleDesc = prometheus.NewDesc("dockwatch_container_cpu_throttled_percent",
		"Share of CFS periods since the previous sample in which the container was throttled, in percent.", containerLabels, nil)
	containerMemoryDesc = prometheus.NewDesc("dockwatch_container_memory_bytes",
		"Memory use of a container in bytes, without page cache, as docker stats shows it.", containerLabels, nil)
	containerMemLimitDesc = prometheus.NewDesc("dockwatch_container_memory_limit_bytes",
		"Memory limit of a container in bytes (the host's memory when it has none).", containerLabels, nil)
	containerMemPctDesc = prometheus.NewDesc("dockwatch_container_memory_percent",
		"Memory use of a container in percent of dockwatch_container_memory_limit_bytes.", containerLabels, nil)
	oomKillsDesc = prometheus.NewDesc("dockwatch_container_oom_kills_total",
		"OOM kills seen for the container.", containerLabels, nil)
	restartsDesc = prometheus.NewDesc("dockwatch_container_restarts_total",
		"Restarts of the container by its Docker restart policy.", containerLabels, nil)
	healthDesc = prometheus.NewDesc("dockwatch_container_health",
		"1 while the container's health check reports this status, per status (starting, healthy, unhealthy).",
		append(containerLabels[:len(containerLabels):len(containerLabels)], "status"), nil)
)

// containerCollector exports each host's listed containers from their last
// poll, building the series at scrape time. Holding the status entries
// costs about 300 bytes a container; a GaugeVec series costs about 500
// bytes each, six per container (64 MiB at 1,000 hosts x 20 listed). A
// host whose poll failed, or that was deleted, has no container series: a
// stale value would be read as current.
type containerCollector struct {
	mu    sync.Mutex
	hosts map[client.ObjectKey][]dockwatchv1.ContainerUsage
}

func newContainerCollector() *containerCollector {
	return &containerCollector{hosts: map[client.ObjectKey][]dockwatchv1.ContainerUsage{}}
}

// observe replaces the host's containers with those listed now (nil or
// empty: none).
func (c *containerCollector) observe(key client.ObjectKey, containers []dockwatchv1.ContainerUsage) {
	kept := append([]dockwatchv1.ContainerUsage(nil), containers...)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hosts[key] = kept
}

// forget drops a deleted host's containers.
func (c *containerCollector) forget(key client.ObjectKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.hosts, key)
}

// Describe implements prometheus.Collector.
func (c *containerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{containerCPUDesc, containerCPULimitDesc, containerThrottleDesc,
		containerMemoryDesc, containerMemLimitDesc, containerMemPctDesc, oomKillsDesc, restartsDesc, healthDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A figure the poll did not have
// (no second sample yet, no CPU limit) is an absent series, not a zero.
func (c *containerCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, containers := range c.hosts {
		for _, u := range containers {
			labels := []string{key.Namespace, key.Name, u.Name, u.ID}
			gauge := func(d *prometheus.Desc, v float64) {
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
			}
			optional := func(d *prometheus.Desc, v *float64) {
				if v != nil {
					gauge(d, *v)
				}
			}
			optional(containerCPUDesc, u.CPUPercent)
			optional(containerCPULimitDesc, u.CPULimitPercent)
			optional(containerThrottleDesc, u.CPUThrottledPercent)
			gauge(containerMemoryDesc, float64(u.MemoryBytes))
			gauge(containerMemLimitDesc, float64(u.MemoryLimitBytes))
			gauge(containerMemPctDesc, u.MemoryPercent)
			ch <- prometheus.MustNewConstMetric(oomKillsDesc, prometheus.CounterValue, float64(u.OOMKills), labels...)
			ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(u.RestartCount), labels...)
			if u.Health != "" {
				ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, 1, append(labels, u.Health)...)
			}
		}
	}
}
