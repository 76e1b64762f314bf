package controllers

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Metrics exports what dockwatch measures to Prometheus.
//
// Per-container series exist only for the containers listed in
// status.containers, so their cardinality is bounded by the sum of the hosts'
// maxContainersInStatus (at most 100 per host), whatever the hosts run.
// Series of containers that leave the list, and of deleted hosts, are removed.
type Metrics struct {
	containerCPU      *prometheus.GaugeVec
	containerCPULimit *prometheus.GaugeVec
	containerMemory   *prometheus.GaugeVec
	containerMemLimit *prometheus.GaugeVec
	containerMemPct   *prometheus.GaugeVec
	containerThrottle *prometheus.GaugeVec
	lifecycle         *lifecycleCollector
	hostUp            *prometheus.GaugeVec
	pollDuration      *prometheus.HistogramVec
	pollErrors        *prometheus.CounterVec
	alerts            *prometheus.GaugeVec
	hostInfo          *hostInfo
	pollLag           prometheus.Histogram
	mu                sync.Mutex
	containersPerHost map[client.ObjectKey][][]string
}

var (
	hostLabels      = []string{"namespace", "dockerhost"}
	containerLabels = []string{"namespace", "dockerhost", "container", "container_id"}
)

// pollErrorReasons are the reason label values of dockwatch_poll_errors_total.
// Each host's counters start at 0 for all of them, so the first failure is
// an increase Prometheus can see rather than a new series born at 1.
var pollErrorReasons = []string{
	dockwatchv1.ReasonDaemonUnreachable, dockwatchv1.ReasonTLSConfigError, dockwatchv1.ReasonInvalidSpec,
}

// NewMetrics creates dockwatch's collectors and registers them with reg.
// Names follow Prometheus conventions: base units (bytes, seconds), _total
// on counters. CPU and memory shares stay in percent, as docker stats shows
// them, so a figure reads the same in both places.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		containerCPU: gauge("dockwatch_container_cpu_percent",
			"CPU use of a container in percent, as docker stats shows it (100 is one full core); absent until two samples exist.", containerLabels),
		containerCPULimit: gauge("dockwatch_container_cpu_limit_percent",
			"CPU use of a container in percent of its own CPU limit (--cpus or quota); absent without a limit.", containerLabels),
		containerMemory: gauge("dockwatch_container_memory_bytes",
			"Memory use of a container in bytes, without page cache, as docker stats shows it.", containerLabels),
		containerMemLimit: gauge("dockwatch_container_memory_limit_bytes",
			"Memory limit of a container in bytes (the host's memory when it has none).", containerLabels),
		containerMemPct: gauge("dockwatch_container_memory_percent",
			"Memory use of a container in percent of dockwatch_container_memory_limit_bytes.", containerLabels),
		hostUp: gauge("dockwatch_host_up",
			"1 when the last poll of the host's Docker daemon succeeded, 0 when it failed or could not be tried.", hostLabels),
		containerThrottle: gauge("dockwatch_container_cpu_throttled_percent",
			"Share of CFS periods since the previous sample in which the container was throttled, in percent.", containerLabels),
		lifecycle: newLifecycleCollector(),
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dockwatch_poll_duration_seconds", Help: "Duration of successful polls of a host, in seconds.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30}}, hostLabels),
		pollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockwatch_poll_errors_total", Help: "Polls of a host that failed or could not be tried, by reason (the Ready condition's)."}, append(hostLabels, "reason")),
		alerts: gauge("dockwatch_alerts",
			"Threshold alerts of a host now active, by state (Pending, Firing), as in status.alerts.", append(hostLabels, "state")),
		hostInfo:          newHostInfo(),
		pollLag:           newPollLag(),
		containersPerHost: map[client.ObjectKey][][]string{},
	}
	reg.MustRegister(m.containerCPU, m.containerCPULimit, m.containerMemory, m.containerMemLimit, m.containerMemPct,
		m.containerThrottle, m.lifecycle,
		m.hostUp, m.pollDuration, m.pollErrors, m.alerts, m.pollLag)
	reg.MustRegister(m.hostInfo.vec)
	return m
}

// containerGauges are the per-container series, deleted together.
func (m *Metrics) containerGauges() []*prometheus.GaugeVec {
	return []*prometheus.GaugeVec{m.containerCPU, m.containerCPULimit, m.containerMemory, m.containerMemLimit, m.containerMemPct, m.containerThrottle}
}

// initPollErrors makes the host's error counters exist at 0 for every reason.
func (m *Metrics) initPollErrors(ns, name string) {
	for _, reason := range pollErrorReasons {
		m.pollErrors.WithLabelValues(ns, name, reason)
	}
}

// observePoll records a successful poll and the host's listed containers.
func (m *Metrics) observePoll(host *dockwatchv1.DockerHost, took time.Duration) {
	if m == nil {
		return
	}
	ns, name := host.Namespace, host.Name
	m.hostUp.WithLabelValues(ns, name).Set(1)
	m.initPollErrors(ns, name)
	m.hostInfo.observe(host)
	m.pollDuration.WithLabelValues(ns, name).Observe(took.Seconds())
	m.alerts.WithLabelValues(ns, name, string(dockwatchv1.AlertFiring)).Set(float64(host.Status.Summary.AlertsFiring))
	m.alerts.WithLabelValues(ns, name, string(dockwatchv1.AlertPending)).Set(float64(host.Status.Summary.AlertsPending))

	current := make([][]string, 0, len(host.Status.Containers))
	for _, c := range host.Status.Containers {
		labels := []string{ns, name, c.Name, c.ID}
		current = append(current, labels)
		// No figure this poll (a new container, counters that reset, no
		// limit): an absent series is honest, a stale value is not.
		setOrDelete(m.containerCPU, labels, c.CPUPercent)
		setOrDelete(m.containerCPULimit, labels, c.CPULimitPercent)
		m.containerMemory.WithLabelValues(labels...).Set(float64(c.MemoryBytes))
		m.containerMemLimit.WithLabelValues(labels...).Set(float64(c.MemoryLimitBytes))
		m.containerMemPct.WithLabelValues(labels...).Set(c.MemoryPercent)
		setOrDelete(m.containerThrottle, labels, c.CPUThrottledPercent)
	}
	m.replaceContainers(client.ObjectKeyFromObject(host), current)
	m.lifecycle.observe(client.ObjectKeyFromObject(host), host.Status.Containers)
}

// observePollError records a failed poll (or one that could not be tried,
// by reason). The host's container series go: their last values would
// otherwise be read as current.
func (m *Metrics) observePollError(host *dockwatchv1.DockerHost, reason string) {
	if m == nil {
		return
	}
	m.hostUp.WithLabelValues(host.Namespace, host.Name).Set(0)
	m.initPollErrors(host.Namespace, host.Name)
	m.pollErrors.WithLabelValues(host.Namespace, host.Name, reason).Inc()
	m.replaceContainers(client.ObjectKeyFromObject(host), [][]string{})
	m.lifecycle.observe(client.ObjectKeyFromObject(host), nil)
}

// forget removes every series of a deleted host.
func (m *Metrics) forget(key client.ObjectKey) {
	if m == nil {
		return
	}
	m.replaceContainers(key, nil)
	host := prometheus.Labels{"namespace": key.Namespace, "dockerhost": key.Name}
	m.lifecycle.forget(key)
	for _, vec := range m.containerGauges() {
		vec.DeletePartialMatch(host)
	}
	m.hostUp.DeletePartialMatch(host)
	m.hostInfo.forget(key)
	m.pollDuration.DeletePartialMatch(host)
	m.pollErrors.DeletePartialMatch(host)
	m.alerts.DeletePartialMatch(host)
}

// replaceContainers deletes the series of containers no longer listed.
func (m *Metrics) replaceContainers(key client.ObjectKey, current [][]string) {
	m.mu.Lock()
	previous := m.containersPerHost[key]
	if current == nil {
		delete(m.containersPerHost, key)
	} else {
		m.containersPerHost[key] = current
	}
	m.mu.Unlock()

	// Keyed on every label, so a renamed container's old series goes too.
	keep := make(map[string]bool, len(current))
	for _, labels := range current {
		keep[strings.Join(labels, "\x00")] = true
	}
	for _, labels := range previous {
		if !keep[strings.Join(labels, "\x00")] {
			for _, vec := range m.containerGauges() {
				vec.DeleteLabelValues(labels...)
			}
		}
	}
}

// setOrDelete sets the series to *v, or deletes it when there is no figure.
func setOrDelete(vec *prometheus.GaugeVec, labels []string, v *float64) {
	if v == nil {
		vec.DeleteLabelValues(labels...)
		return
	}
	vec.WithLabelValues(labels...).Set(*v)
}
