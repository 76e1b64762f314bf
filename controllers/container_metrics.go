package controllers

import (
	"maps"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/exposition"
)

// containerFamily is one per-container metric: its name, help and type,
// and its value for a listed container (ok false: no series, as for a
// figure the poll did not have).
type containerFamily struct {
	name, help, typ string
	value           func(u *dockwatchv1.ContainerUsage) (v float64, ok bool)
}

func present(v float64) (float64, bool) { return v, true }

func optional(v *float64) (float64, bool) {
	if v == nil {
		return 0, false
	}
	return *v, true
}

// containerFamilies are the per-container metrics, for the containers
// listed in status.containers. The lifecycle counters are Docker's own
// counts (the restart count, the OOM kills seen) as last polled.
var containerFamilies = []containerFamily{
	{"dockwatch_container_cpu_percent",
		"CPU use of a container in percent, as docker stats shows it (100 is one full core); absent until two samples exist.",
		"gauge", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return optional(u.CPUPercent) }},
	{"dockwatch_container_cpu_limit_percent",
		"CPU use of a container in percent of its own CPU limit (--cpus or quota); absent without a limit.",
		"gauge", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return optional(u.CPULimitPercent) }},
	{"dockwatch_container_cpu_throttled_percent",
		"Share of CFS periods since the previous sample in which the container was throttled, in percent.",
		"gauge", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return optional(u.CPUThrottledPercent) }},
	{"dockwatch_container_memory_bytes",
		"Memory use of a container in bytes, without page cache, as docker stats shows it.",
		"gauge", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return present(float64(u.MemoryBytes)) }},
	{"dockwatch_container_memory_limit_bytes",
		"Memory limit of a container in bytes (the host's memory when it has none).",
		"gauge", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return present(float64(u.MemoryLimitBytes)) }},
	{"dockwatch_container_memory_percent",
		"Memory use of a container in percent of dockwatch_container_memory_limit_bytes.",
		"gauge", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return present(u.MemoryPercent) }},
	{"dockwatch_container_oom_kills_total", "OOM kills seen for the container.",
		"counter", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return present(float64(u.OOMKills)) }},
	{"dockwatch_container_restarts_total", "Restarts of the container by its Docker restart policy.",
		"counter", func(u *dockwatchv1.ContainerUsage) (float64, bool) { return present(float64(u.RestartCount)) }},
}

// healthFamily has one more label, the health status, and a series only
// for a container with a health check.
const (
	healthFamily = "dockwatch_container_health"
	healthHelp   = "1 while the container's health check reports this status, per status (starting, healthy, unhealthy)."
)

// containerCollector exports each host's listed containers from their last
// poll, writing the series straight into each scrape (exposition) instead
// of holding a GaugeVec series (~500 bytes each, 64 MiB at 1,000 hosts x
// 20 listed) or building client_golang's tree at scrape time (~200 MiB
// for the 160,000 series of 1,000 hosts). Holding the status entries costs
// about 300 bytes a container. A host whose poll failed, or that was
// deleted, has no container series: a stale value would be read as current.
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

// snapshot is the hosts' lists as of now. Lists are never changed once
// observed (observe stores a fresh copy), so a scrape writes them without
// holding the lock: a slow scraper never delays a poll.
func (c *containerCollector) snapshot() map[client.ObjectKey][]dockwatchv1.ContainerUsage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.hosts)
}

// write streams every family for every listed container, family by
// family as the text format requires. A figure the poll did not have (no
// second sample yet, no CPU limit) is an absent series, not a zero.
func (c *containerCollector) write(w *exposition.Writer) {
	hosts := c.snapshot()
	labels := make([]string, 0, 10)
	each := func(fn func(labels []string, u *dockwatchv1.ContainerUsage)) {
		for key, containers := range hosts {
			for i := range containers {
				u := &containers[i]
				labels = append(labels[:0], "namespace", key.Namespace, "dockerhost", key.Name,
					"container", u.Name, "container_id", u.ID)
				fn(labels, u)
			}
		}
	}
	for _, f := range containerFamilies {
		w.Family(f.name, f.help, f.typ)
		each(func(labels []string, u *dockwatchv1.ContainerUsage) {
			if v, ok := f.value(u); ok {
				w.Sample(f.name, labels, v)
			}
		})
	}
	w.Family(healthFamily, healthHelp, "gauge")
	each(func(labels []string, u *dockwatchv1.ContainerUsage) {
		if u.Health != "" {
			w.Sample(healthFamily, append(labels, "status", u.Health), 1)
		}
	})
}
