package controllers

import (
	"maps"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// engineName is how messages name what answered: Podman when the daemon
// said so, else Docker (the API is Docker's whoever serves it).
func engineName(d *dockwatchv1.DaemonInfo) string {
	if d != nil && d.Engine == dockwatchv1.EnginePodman {
		return string(dockwatchv1.EnginePodman)
	}
	return string(dockwatchv1.EngineDocker)
}

// hostInfo is dockwatch_host_info, the Prometheus "info" pattern: 1 per
// polled host, with the engine serving its Docker API and the versions as
// labels, so that queries can select or group hosts by engine
// (`... * on(namespace, dockerhost) group_left(engine) dockwatch_host_info`)
// without an engine label on every series.
type hostInfo struct {
	vec  *prometheus.GaugeVec
	mu   sync.Mutex
	last map[client.ObjectKey]prometheus.Labels
}

func newHostInfo() *hostInfo {
	return &hostInfo{
		vec: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dockwatch_host_info",
			Help: "1 for every polled host; engine is Docker, Podman, or empty when the daemon does not say.",
		}, append(hostLabels, "engine", "engine_version", "version")),
		last: map[client.ObjectKey]prometheus.Labels{},
	}
}

// observe sets the host's series from its status, removing the series of
// an engine or version it no longer reports (an upgrade, or another engine
// behind the same endpoint).
func (h *hostInfo) observe(host *dockwatchv1.DockerHost) {
	d := host.Status.Daemon
	if d == nil {
		return
	}
	labels := prometheus.Labels{"namespace": host.Namespace, "dockerhost": host.Name,
		"engine": string(d.Engine), "engine_version": d.EngineVersion, "version": d.Version}
	key := client.ObjectKeyFromObject(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, ok := h.last[key]; ok && !maps.Equal(prev, labels) {
		h.vec.Delete(prev)
	}
	h.last[key] = labels
	h.vec.With(labels).Set(1)
}

// forget removes a deleted host's series.
func (h *hostInfo) forget(key client.ObjectKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, ok := h.last[key]; ok {
		h.vec.Delete(prev)
		delete(h.last, key)
	}
}
