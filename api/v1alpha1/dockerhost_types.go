package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DockerHostSpec declares a Docker daemon endpoint, how to reach it, which of
// its containers to watch and the thresholds that raise alerts.
// +kubebuilder:validation:XValidation:rule="!self.endpoint.startsWith('tcp://') || has(self.tls) || (has(self.allowPlaintext) && self.allowPlaintext)",message="spec.tls is required for tcp:// endpoints; set spec.allowPlaintext: true to connect without TLS",fieldPath=".tls"
// +kubebuilder:validation:XValidation:rule="!self.endpoint.startsWith('unix://') || !has(self.tls)",message="spec.tls does not apply to unix:// endpoints",fieldPath=".tls"
// +kubebuilder:validation:XValidation:rule="!has(self.timeout) || !has(self.interval) || !self.timeout.matches(r'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$') || !self.interval.matches(r'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$') || duration(self.timeout) <= duration(self.interval)",message="spec.timeout must not be longer than spec.interval",fieldPath=".timeout"
// +kubebuilder:validation:XValidation:rule="!has(self.nodeName) || self.endpoint.startsWith('unix://')",message="spec.nodeName marks a node's local daemon: its endpoint must be a unix:// socket",fieldPath=".nodeName"
type DockerHostSpec struct {
	// endpoint is the Docker daemon address: unix:///path/to/docker.sock,
	// tcp://host:port, or https://host:port (an alias of tcp:// with TLS).
	// The scheme is required (docker's -H assumes tcp://; the API does not),
	// and so is the port: Docker's 2375/2376 convention depends on TLS, and a
	// guessed port fails in a way that is hard to see.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^(unix|tcp|https)://')",message="needs a scheme: unix:///path/to/docker.sock, tcp://host:port or https://host:port (http:// is not a Docker scheme: tcp:// is plain HTTP, https:// is TLS)"
	// +kubebuilder:validation:XValidation:rule="!self.matches(r'^(tcp|https)://') || self.matches(r'^(tcp|https)://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):[0-9]{1,5}/?$')",message="needs a host and a port, as in https://192.168.99.100:2376 (2376 is Docker's TLS port, 2375 plain)"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('unix://') || self.matches(r'^unix:///[^\\s]*$')",message="a unix socket needs an absolute path, as in unix:///var/run/docker.sock (three slashes)"
	Endpoint string `json:"endpoint"`

	// tls configures TLS for tcp:// and https:// endpoints, normally mutual TLS
	// with client certificates from a Secret.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`

	// allowPlaintext permits a tcp:// endpoint without TLS. Anyone on the path
	// can then read and replay the daemon's traffic, so it must be explicit.
	// +optional
	AllowPlaintext bool `json:"allowPlaintext,omitempty"`

	// apiVersion pins the Docker Engine API version (for example "1.41").
	// Empty negotiates the highest version both sides support.
	// +optional
	// +kubebuilder:validation:Pattern=`^1\.[0-9]{1,3}$`
	APIVersion string `json:"apiVersion,omitempty"`

	// nodeName marks a node-local host served by the dockwatch agent on that
	// node. The cluster-mode manager leaves such hosts to their agent.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	NodeName string `json:"nodeName,omitempty"`

	// interval is the poll period, a duration with a unit such as 30s or 1m.
	// Defaults to 30s; at least 5s. Each poll is offset by up to 5% jitter
	// so that many hosts do not poll in lockstep.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$')",message="must be a duration with a unit, as in 30s, 1m or 1m30s"
	// +kubebuilder:validation:XValidation:rule="!self.matches(r'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$') || duration(self) >= duration('5s')",message="must be at least 5s"
	Interval *metav1.Duration `json:"interval,omitempty"`

	// timeout bounds one poll (connect, list and stats), a duration with a
	// unit. Defaults to the smaller of 10s and interval; at least 1s and at
	// most interval.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$')",message="must be a duration with a unit, as in 10s or 500ms"
	// +kubebuilder:validation:XValidation:rule="!self.matches(r'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$') || duration(self) >= duration('1s')",message="must be at least 1s"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// suspend stops polling this host; its last status is kept.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// containers selects which of the daemon's containers are watched.
	// +optional
	Containers ContainerSelector `json:"containers,omitempty"`

	// thresholds are the alert rules evaluated on every watched container;
	// at most 32, names unique.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Thresholds []ThresholdRule `json:"thresholds,omitempty"`

	// maxContainersInStatus bounds status.containers, which lists the busiest
	// containers by CPU. The rest are counted in status.containersOmitted.
	// Defaults to 20; 1 to 100.
	// +optional
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	MaxContainersInStatus int32 `json:"maxContainersInStatus,omitempty"`

	// lifecycle tunes the container lifecycle alerts (OOM kills, crash
	// exits, restart loops, health); all are on by default.
	// +optional
	// +kubebuilder:default={}
	Lifecycle *LifecycleSpec `json:"lifecycle,omitempty"`
}

// TLSConfig says how to verify the daemon and which client certificate to present.
type TLSConfig struct {
	// secretRef names a Secret in the DockerHost's namespace holding the CA
	// and client certificate: docker-machine's ca.pem, cert.pem and key.pem,
	// or the kubernetes.io/tls keys ca.crt, tls.crt and tls.key. Without it
	// the daemon is verified against the system roots and no client
	// certificate is sent.
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`

	// serverName overrides the name the daemon's certificate is verified
	// against (and sent as SNI). Defaults to the endpoint's host.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServerName string `json:"serverName,omitempty"`

	// skipClientCertificate lets the Secret hold only a CA (ca.pem or
	// ca.crt), for a daemon that asks for no client certificate (one not
	// started with --tlsverify). Without it a Secret lacking a client
	// certificate and key is a TLSConfigError, as docker's --tlsverify
	// always sends them and a daemon started with it refuses clients
	// without.
	// +optional
	SkipClientCertificate bool `json:"skipClientCertificate,omitempty"`

	// insecureSkipVerify turns off verification of the daemon's certificate.
	// It is reported by the Insecure condition while set.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// SecretReference names a Secret in the same namespace.
type SecretReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ContainerSelector chooses containers by name and by Docker label. A
// container is watched when it matches include (or include is empty), does
// not match exclude, and matches labelSelector.
// +kubebuilder:validation:XValidation:rule="!has(self.include) || self.include.all(p, !p.matches(r'\\[[^\\]]*$') && !p.endsWith('\\\\'))",message="a glob in include is broken: an unclosed [ or a trailing backslash (path.Match syntax, e.g. web-*; write \\[ for a literal [)",fieldPath=".include"
// +kubebuilder:validation:XValidation:rule="!has(self.exclude) || self.exclude.all(p, !p.matches(r'\\[[^\\]]*$') && !p.endsWith('\\\\'))",message="a glob in exclude is broken: an unclosed [ or a trailing backslash (path.Match syntax, e.g. web-*; write \\[ for a literal [)",fieldPath=".exclude"
// +kubebuilder:validation:XValidation:rule="!has(self.labelSelector) || !has(self.labelSelector.matchExpressions) || self.labelSelector.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",message="labelSelector.matchExpressions operator must be In, NotIn, Exists or DoesNotExist",fieldPath=".labelSelector"
type ContainerSelector struct {
	// include lists container name globs (path.Match syntax, e.g. "web-*").
	// Empty watches every container. At most 64; each 1 to 256 characters.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Include []string `json:"include,omitempty"`

	// exclude lists container name globs that are never watched.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Exclude []string `json:"exclude,omitempty"`

	// labelSelector matches Docker container labels with Kubernetes
	// label-selector semantics.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`

	// includeStopped also lists containers that are not running. They have
	// no utilization, so thresholds never fire for them.
	// +optional
	IncludeStopped bool `json:"includeStopped,omitempty"`
}

// Metric names a per-container figure a threshold rule can watch.
// +kubebuilder:validation:Enum=cpuPercent;cpuLimitPercent;cpuThrottledPercent;memoryPercent;memoryBytes;pids
type Metric string

const (
	// MetricCPUPercent is CPU use as `docker stats` shows it: 100 is one full core.
	MetricCPUPercent Metric = "cpuPercent"
	// MetricCPULimitPercent is CPU use relative to the container's own CPU
	// limit; containers without a limit never match.
	MetricCPULimitPercent Metric = "cpuLimitPercent"
	// MetricCPUThrottledPercent is the share of CFS periods in which the
	// container was throttled since the previous sample; what a container
	// with a --cpus limit needs alerting on.
	MetricCPUThrottledPercent Metric = "cpuThrottledPercent"
	// MetricMemoryPercent is memory use (without page cache) against the limit.
	MetricMemoryPercent Metric = "memoryPercent"
	// MetricMemoryBytes is memory use (without page cache) in bytes.
	MetricMemoryBytes Metric = "memoryBytes"
	// MetricPIDs is the number of processes and threads in the container.
	MetricPIDs Metric = "pids"
)

// Severity is copied onto alerts and their events for routing.
// +kubebuilder:validation:Enum=info;warning;critical
type Severity string

// Severities an alert can carry.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// ThresholdRule raises an alert for a container whose metric stays above a
// value for a while, and resolves it once the metric falls back.
// +kubebuilder:validation:XValidation:rule="!has(self.clearBelow) || !isQuantity(string(self.above)) || !isQuantity(string(self.clearBelow)) || quantity(string(self.clearBelow)).compareTo(quantity(string(self.above))) <= 0",message="clearBelow must not be greater than above",fieldPath=".clearBelow"
// +kubebuilder:validation:XValidation:rule="self.metric == 'memoryBytes' || !string(self.above).matches('[A-Za-z]$')",message="only memoryBytes takes a unit, as in 512Mi; this metric's above is a plain number",fieldPath=".above"
// +kubebuilder:validation:XValidation:rule="self.metric == 'memoryBytes' || !has(self.clearBelow) || !string(self.clearBelow).matches('[A-Za-z]$')",message="only memoryBytes takes a unit, as in 512Mi; this metric's clearBelow is a plain number",fieldPath=".clearBelow"
type ThresholdRule struct {
	// name identifies the rule in status, events and per-container label
	// overrides (dockwatch.io/threshold.<name>).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`
	Name string `json:"name"`

	// metric is the figure the rule watches.
	// +required
	Metric Metric `json:"metric"`

	// above is the value the metric must exceed to breach the rule; at
	// least 0. Percent metrics count 100 per core (cpuPercent) or of the
	// limit; memoryBytes is in bytes and also takes a Kubernetes quantity
	// (512Mi, 2G); pids is a count. A fraction is quoted, as in "80.5".
	// +required
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : isQuantity(self) && !quantity(self).isLessThan(quantity('0'))",message="must be a number at least 0 or a quantity such as 512Mi; quote a fraction, as in \"80.5\""
	Above intstr.IntOrString `json:"above"`

	// for is how long a breach must hold before the alert fires, a duration
	// with a unit such as 2m; until then it is Pending. Defaults to 0, which
	// fires on the first breaching poll.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$')",message="must be a duration with a unit, as in 2m or 90s"
	For *metav1.Duration `json:"for,omitempty"`

	// clearBelow is the value at or below which a firing alert resolves
	// (hysteresis); at least 0 and at most above, in above's units.
	// Defaults to above.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : isQuantity(self) && !quantity(self).isLessThan(quantity('0'))",message="must be a number at least 0 or a quantity such as 512Mi; quote a fraction, as in \"80.5\""
	ClearBelow *intstr.IntOrString `json:"clearBelow,omitempty"`

	// severity is copied onto the alert and its events.
	// +optional
	// +kubebuilder:default=warning
	Severity Severity `json:"severity,omitempty"`
}

// DockerHostStatus is the observed state of a DockerHost: a bounded summary
// of its last poll.
type DockerHostStatus struct {
	// observedGeneration is the generation the status was last computed for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready summarises; Reachable, ThresholdsBreached and
	// Insecure explain.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`

	// daemon describes the Docker daemon as it reported itself.
	// +optional
	Daemon *DaemonInfo `json:"daemon,omitempty"`

	// lastPollTime is when the last successful poll finished.
	// +optional
	LastPollTime *metav1.Time `json:"lastPollTime,omitempty"`

	// pollDurationMillis is how long the last successful poll took.
	// +optional
	PollDurationMillis int64 `json:"pollDurationMillis,omitempty"`

	// summary totals the watched containers.
	// +optional
	Summary *HostSummary `json:"summary,omitempty"`

	// containers lists the busiest watched containers by CPU, at most
	// spec.maxContainersInStatus of them.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	Containers []ContainerUsage `json:"containers,omitempty"`

	// containersOmitted counts watched containers left out of containers.
	// +optional
	ContainersOmitted int32 `json:"containersOmitted,omitempty"`

	// alerts lists active alerts, firing first. It is also the controller's
	// memory: after a restart, alert state is rebuilt from it.
	// +optional
	// +kubebuilder:validation:MaxItems=200
	Alerts []AlertStatus `json:"alerts,omitempty"`

	// alertsOmitted counts active alerts left out of alerts.
	// +optional
	AlertsOmitted int32 `json:"alertsOmitted,omitempty"`

	// lifecycle is the lifecycle alerts' memory (event log cursor and
	// per-container marks).
	// +optional
	Lifecycle *LifecycleStatus `json:"lifecycle,omitempty"`
}

// DaemonInfo is what the Docker daemon reports about itself. Strings longer
// than their maxLength are cut, ending in "…(truncated)".
type DaemonInfo struct {
	// version is the Docker Engine version, e.g. "20.10.24".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Version string `json:"version,omitempty"`
	// apiVersion is the Engine API version in use for this host.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	APIVersion string `json:"apiVersion,omitempty"`
	// os is the daemon's operating system type: linux or windows.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	OS string `json:"os,omitempty"`
	// kernelVersion is the daemon host's kernel version.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	KernelVersion string `json:"kernelVersion,omitempty"`
	// ncpu is the number of CPUs the daemon host has.
	// +optional
	NCPU int32 `json:"ncpu,omitempty"`
	// memTotalBytes is the daemon host's total memory.
	// +optional
	MemTotalBytes int64 `json:"memTotalBytes,omitempty"`
	// engine is what serves the Docker Engine API at the endpoint: Docker,
	// or Podman (`podman system service`), whose CPU figures are computed
	// from wall time because its host CPU counter is not wall time × CPUs.
	// Omitted when the daemon's /version does not say.
	// +optional
	Engine Engine `json:"engine,omitempty"`
	// engineVersion is the engine's own version, e.g. "4.3.1" for Podman
	// (version is what the compatible API reports, the same for Docker).
	// +optional
	EngineVersion string `json:"engineVersion,omitempty"`
}

// Engine names the software serving the Docker Engine API.
// +kubebuilder:validation:Enum=Docker;Podman
type Engine string

// Engines dockwatch recognises.
const (
	// EngineDocker is Docker Engine (dockerd).
	EngineDocker Engine = "Docker"
	// EnginePodman is Podman's Docker-compatible service.
	EnginePodman Engine = "Podman"
)

// HostSummary totals the utilization of a host's watched containers.
type HostSummary struct {
	// containersRunning counts the daemon's running containers, watched or not.
	// +optional
	ContainersRunning int32 `json:"containersRunning"`
	// containersWatched counts the containers the selector matched and
	// measured this poll.
	// +optional
	ContainersWatched int32 `json:"containersWatched"`
	// containersUnmeasured counts selected containers whose own stats
	// request failed this poll (a timeout, a malformed answer); their alerts
	// keep their state. Ready's message names the first one.
	// +optional
	ContainersUnmeasured int32 `json:"containersUnmeasured,omitempty"`
	// cpuPercent sums the watched containers' CPU; 100 is one full core.
	// Absent (no figure) when no watched container has a CPU figure yet,
	// as right after the first poll.
	// +optional
	CPUPercent *float64 `json:"cpuPercent,omitempty"`
	// memoryBytes sums the watched containers' memory use without page cache.
	// +optional
	MemoryBytes int64 `json:"memoryBytes"`
	// memoryPercent is memoryBytes against the daemon host's total memory.
	// +optional
	MemoryPercent float64 `json:"memoryPercent"`
	// cpu is cpuPercent formatted for display, e.g. "153.2%", or "-" when
	// there is no figure.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	CPU string `json:"cpu,omitempty"`
	// memory is memoryBytes and memoryPercent formatted for display, e.g. "1.2GiB (5.1%)".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Memory string `json:"memory,omitempty"`
	// alertsFiring counts firing alerts, including any omitted from status.alerts.
	// +optional
	AlertsFiring int32 `json:"alertsFiring"`
	// alertsPending counts pending alerts.
	// +optional
	AlertsPending int32 `json:"alertsPending"`
	// containersUnhealthy counts containers whose health check is failing.
	// +optional
	ContainersUnhealthy int32 `json:"containersUnhealthy,omitempty"`
	// containersRestarting counts containers in an open restart loop.
	// +optional
	ContainersRestarting int32 `json:"containersRestarting,omitempty"`
}

// ContainerUsage is one container's utilization at the last poll. An id or
// name longer than its maxLength is cut, ending in "…(truncated <hash>)",
// an image in "…(truncated)".
type ContainerUsage struct {
	// id is the full container ID.
	// +required
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`
	// name is the container name without the leading slash.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`
	// image is the image the container runs.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Image string `json:"image,omitempty"`
	// cpuPercent is CPU use as `docker stats` shows it; absent until two
	// samples exist.
	// +optional
	CPUPercent *float64 `json:"cpuPercent,omitempty"`
	// cpuLimitPercent is CPU use against the container's CPU limit; absent
	// without a limit.
	// +optional
	CPULimitPercent *float64 `json:"cpuLimitPercent,omitempty"`
	// cpuThrottledPercent is the share of CFS periods since the previous
	// sample in which the container was throttled; absent until two
	// samples exist, 0 without a CPU limit.
	// +optional
	CPUThrottledPercent *float64 `json:"cpuThrottledPercent,omitempty"`
	// memoryBytes is memory use without page cache.
	// +optional
	MemoryBytes int64 `json:"memoryBytes"`
	// memoryLimitBytes is the container's memory limit (the host's memory without one).
	// +optional
	MemoryLimitBytes int64 `json:"memoryLimitBytes"`
	// memoryPercent is memoryBytes against memoryLimitBytes.
	// +optional
	MemoryPercent float64 `json:"memoryPercent"`
	// netRxBytes sums bytes received on all interfaces.
	// +optional
	NetRxBytes int64 `json:"netRxBytes"`
	// netTxBytes sums bytes sent on all interfaces.
	// +optional
	NetTxBytes int64 `json:"netTxBytes"`
	// blockReadBytes sums bytes read from block devices.
	// +optional
	BlockReadBytes int64 `json:"blockReadBytes"`
	// blockWriteBytes sums bytes written to block devices.
	// +optional
	BlockWriteBytes int64 `json:"blockWriteBytes"`
	// pids is the number of processes and threads.
	// +optional
	PIDs int64 `json:"pids"`
	// restartCount is Docker's restart count of the container, when the
	// lifecycle alerts know it.
	// +optional
	RestartCount int32 `json:"restartCount,omitempty"`
	// health is the container's health check status, when it has one.
	// +optional
	Health string `json:"health,omitempty"`
	// lastExitCode is the exit code of the container's last exit seen.
	// +optional
	LastExitCode int32 `json:"lastExitCode,omitempty"`
	// oomKills counts the container's OOM kills seen.
	// +optional
	OOMKills int32 `json:"oomKills,omitempty"`
}

// AlertState is the stage of an active alert.
// +kubebuilder:validation:Enum=Pending;Firing
type AlertState string

const (
	// AlertPending means the rule is breached but not yet for long enough.
	AlertPending AlertState = "Pending"
	// AlertFiring means the breach has held for the rule's duration.
	AlertFiring AlertState = "Firing"
)

// AlertStatus is one active alert: a rule breached by one container.
type AlertStatus struct {
	// rule is the name of the threshold rule.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Rule string `json:"rule"`
	// containerID is the full ID of the breaching container.
	// +required
	// +kubebuilder:validation:MaxLength=128
	ContainerID string `json:"containerID"`
	// container is the breaching container's name.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Container string `json:"container"`
	// metric is the rule's metric.
	// +required
	Metric Metric `json:"metric"`
	// value is the metric's value at the last poll.
	// +required
	Value float64 `json:"value"`
	// threshold is the value the metric exceeded (after label overrides).
	// +required
	Threshold float64 `json:"threshold"`
	// severity is the rule's severity.
	// +optional
	Severity Severity `json:"severity,omitempty"`
	// state is Pending or Firing.
	// +required
	State AlertState `json:"state"`
	// since is when the alert entered its state.
	// +required
	Since metav1.Time `json:"since"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dh,categories=dockwatch
// +kubebuilder:selectablefield:JSONPath=`.spec.nodeName`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.spec.endpoint`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Containers",type=integer,JSONPath=`.status.summary.containersWatched`
// +kubebuilder:printcolumn:name="CPU",type=string,JSONPath=`.status.summary.cpu`
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=`.status.summary.memory`
// +kubebuilder:printcolumn:name="Alerts",type=integer,JSONPath=`.status.summary.alertsFiring`
// +kubebuilder:printcolumn:name="Last Poll",type=date,JSONPath=`.status.lastPollTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Unhealthy",type=integer,JSONPath=`.status.summary.containersUnhealthy`,priority=1
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.spec.nodeName`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1

// DockerHost is a Docker daemon that dockwatch polls for container utilization.
type DockerHost struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the daemon and what to watch on it.
	// +required
	Spec DockerHostSpec `json:"spec"`

	// status is the last observed utilization of the daemon's containers.
	// +optional
	Status DockerHostStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DockerHostList contains a list of DockerHost.
type DockerHostList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DockerHost `json:"items"`
}
