package controllers

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/exposition"
)

// Metrics exports what dockwatch measures to Prometheus.
//
// Per-container series exist only for the containers listed in
// status.containers, so their cardinality is bounded by the sum of the hosts'
// maxContainersInStatus (at most 100 per host), whatever the hosts run.
// Series of containers that leave the list, and of deleted hosts, are removed.
type Metrics struct {
	containers   *containerCollector
	hostUp       *prometheus.GaugeVec
	pollDuration *prometheus.HistogramVec
	pollErrors   *prometheus.CounterVec
	alerts       *prometheus.GaugeVec
	hostInfo     *hostInfo
	pollLag      prometheus.Histogram
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

// NewMetrics creates dockwatch's collectors and registers them with reg;
// the per-container series are in no registry and are served by Handler.
// Names follow Prometheus conventions: base units (bytes, seconds), _total
// on counters. CPU and memory shares stay in percent, as docker stats shows
// them, so a figure reads the same in both places.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		hostUp: gauge("dockwatch_host_up",
			"1 when the last poll of the host's Docker daemon succeeded, 0 when it failed or could not be tried.", hostLabels),
		containers: newContainerCollector(),
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dockwatch_poll_duration_seconds", Help: "Duration of successful polls of a host, in seconds.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30}}, hostLabels),
		pollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dockwatch_poll_errors_total", Help: "Polls of a host that failed or could not be tried, by reason (the Ready condition's)."}, append(hostLabels, "reason")),
		alerts: gauge("dockwatch_alerts",
			"Threshold alerts of a host now active, by state (Pending, Firing), as in status.alerts.", append(hostLabels, "state")),
		hostInfo: newHostInfo(),
		pollLag:  newPollLag(),
	}
	reg.MustRegister(m.hostUp, m.pollDuration, m.pollErrors, m.alerts, m.pollLag)
	reg.MustRegister(m.hostInfo.vec)
	return m
}

// Handler serves a scrape: the families of g (the registry NewMetrics was
// given, with controller-runtime's own), then the per-container series,
// which are not in any registry.
func (m *Metrics) Handler(g prometheus.Gatherer) http.Handler {
	return exposition.Handler(g, m.containers.write)
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

	m.containers.observe(client.ObjectKeyFromObject(host), host.Status.Containers)
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
	m.containers.observe(client.ObjectKeyFromObject(host), nil)
}

// forget removes every series of a deleted host.
func (m *Metrics) forget(key client.ObjectKey) {
	if m == nil {
		return
	}
	m.containers.forget(key)
	host := prometheus.Labels{"namespace": key.Namespace, "dockerhost": key.Name}
	m.hostUp.DeletePartialMatch(host)
	m.hostInfo.forget(key)
	m.pollDuration.DeletePartialMatch(host)
	m.pollErrors.DeletePartialMatch(host)
	m.alerts.DeletePartialMatch(host)
}
