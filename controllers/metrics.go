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
	containerMemory   *prometheus.GaugeVec
	containerMemPct   *prometheus.GaugeVec
	hostUp            *prometheus.GaugeVec
	pollDuration      *prometheus.HistogramVec
	pollErrors        *prometheus.CounterVec
	alerts            *prometheus.GaugeVec
	pollLag           prometheus.Histogram
	mu                sync.Mutex
	containersPerHost map[client.ObjectKey][][]string
}

var (
	hostLabels      = []string{"namespace", "dockerhost"}
	containerLabels = []string{"namespace", "dockerhost", "container", "container_id"}
)

// NewMetrics creates dockwatch's collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		containerCPU: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dockwatch_container_cpu_percent", Help: "Container CPU use as docker stats shows it (100 = one core)."}, containerLabels),
		containerMemory: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dockwatch_container_memory_bytes", Help: "Container memory use without page cache."}, containerLabels),
		containerMemPct: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dockwatch_container_memory_percent", Help: "Container memory use against its limit."}, containerLabels),
		hostUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dockwatch_host_up", Help: "1 when the host's Docker daemon answered the last poll, else 0."}, hostLabels),
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dockwatch_poll_duration_seconds", Help: "Time taken by successful polls.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30}}, hostLabels),
		pollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockwatch_poll_errors_total", Help: "Failed polls by reason."}, append(hostLabels, "reason")),
		alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dockwatch_alerts", Help: "Active alerts by state (Pending, Firing)."}, append(hostLabels, "state")),
		pollLag:           newPollLag(),
		containersPerHost: map[client.ObjectKey][][]string{},
	}
	reg.MustRegister(m.containerCPU, m.containerMemory, m.containerMemPct, m.hostUp, m.pollDuration, m.pollErrors, m.alerts, m.pollLag)
	return m
}

// observePoll records a successful poll and the host's listed containers.
func (m *Metrics) observePoll(host *dockwatchv1.DockerHost, took time.Duration) {
	if m == nil {
		return
	}
	ns, name := host.Namespace, host.Name
	m.hostUp.WithLabelValues(ns, name).Set(1)
	m.pollDuration.WithLabelValues(ns, name).Observe(took.Seconds())
	m.alerts.WithLabelValues(ns, name, string(dockwatchv1.AlertFiring)).Set(float64(host.Status.Summary.AlertsFiring))
	m.alerts.WithLabelValues(ns, name, string(dockwatchv1.AlertPending)).Set(float64(host.Status.Summary.AlertsPending))

	current := make([][]string, 0, len(host.Status.Containers))
	for _, c := range host.Status.Containers {
		labels := []string{ns, name, c.Name, c.ID}
		current = append(current, labels)
		if c.CPUPercent != nil {
			m.containerCPU.WithLabelValues(labels...).Set(*c.CPUPercent)
		} else {
			// No figure this poll (a new container, or counters that reset):
			// an absent series is honest, a stale value is not.
			m.containerCPU.DeleteLabelValues(labels...)
		}
		m.containerMemory.WithLabelValues(labels...).Set(float64(c.MemoryBytes))
		m.containerMemPct.WithLabelValues(labels...).Set(c.MemoryPercent)
	}
	m.replaceContainers(client.ObjectKeyFromObject(host), current)
}

// observePollError records a failed poll (or one that could not be tried,
// by reason). The host's container series go: their last values would
// otherwise be read as current.
func (m *Metrics) observePollError(host *dockwatchv1.DockerHost, reason string) {
	if m == nil {
		return
	}
	m.hostUp.WithLabelValues(host.Namespace, host.Name).Set(0)
	m.pollErrors.WithLabelValues(host.Namespace, host.Name, reason).Inc()
	m.replaceContainers(client.ObjectKeyFromObject(host), [][]string{})
}

// forget removes every series of a deleted host.
func (m *Metrics) forget(key client.ObjectKey) {
	if m == nil {
		return
	}
	m.replaceContainers(key, nil)
	host := prometheus.Labels{"namespace": key.Namespace, "dockerhost": key.Name}
	for _, vec := range []*prometheus.GaugeVec{m.containerCPU, m.containerMemory, m.containerMemPct} {
		vec.DeletePartialMatch(host)
	}
	m.hostUp.DeletePartialMatch(host)
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
			m.containerCPU.DeleteLabelValues(labels...)
			m.containerMemory.DeleteLabelValues(labels...)
			m.containerMemPct.DeleteLabelValues(labels...)
		}
	}
}
