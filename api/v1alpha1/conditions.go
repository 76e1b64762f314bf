package v1alpha1

// Condition types a DockerHost reports. Ready summarises the others.
const (
	// ConditionReady is True when the last poll succeeded and the spec is usable.
	ConditionReady = "Ready"
	// ConditionReachable is True when the daemon answered the last poll.
	ConditionReachable = "Reachable"
	// ConditionThresholdsBreached is True while at least one alert is firing.
	ConditionThresholdsBreached = "ThresholdsBreached"
	// ConditionInsecure is True while the spec turns off a transport safeguard
	// (TLS verification or TLS altogether). It is a standing warning, not an error.
	ConditionInsecure = "Insecure"
)

// Condition reasons. Each says why a condition has its status; the same words
// are used as event reasons where an event accompanies the change.
const (
	// ReasonPollSucceeded: the daemon answered and its containers were measured.
	ReasonPollSucceeded = "PollSucceeded"
	// ReasonDaemonUnreachable: the daemon could not be reached or did not
	// answer within the timeout. The controller retries with backoff.
	ReasonDaemonUnreachable = "DaemonUnreachable"
	// ReasonDaemonReachable: the daemon answers again after being
	// unreachable, failing TLS verification or refusing the API version.
	// Used as a Normal event reason.
	ReasonDaemonReachable = "DaemonReachable"
	// ReasonTLSVerificationFailed: a TCP connection was made but TLS could
	// not be set up: the daemon's certificate was rejected (unknown CA, a
	// name spec.tls.serverName does not match, expired), the daemon
	// rejected the client certificate, or one side spoke TLS and the other
	// did not. The controller retries with backoff, as renewing a
	// certificate on the daemon's side fixes it without a spec change.
	ReasonTLSVerificationFailed = "TLSVerificationFailed"
	// ReasonAPIVersionMismatch: the daemon answered but refuses the API
	// version: spec.apiVersion is newer than the daemon serves, or the daemon
	// is older than dockwatch supports. Retried with backoff, as upgrading
	// the daemon fixes it.
	ReasonAPIVersionMismatch = "APIVersionMismatch"
	// ReasonConfigurationFixed: the host polls again after TLSConfigError or
	// InvalidSpec. Used as a Normal event reason.
	ReasonConfigurationFixed = "ConfigurationFixed"
	// ReasonTLSConfigError: the referenced Secret is missing, has none of the
	// expected key names, lacks the client certificate or key, or holds
	// unusable PEM. The controller retries when the Secret changes.
	ReasonTLSConfigError = "TLSConfigError"
	// ReasonInvalidSpec: the spec cannot be used as written (for example a bad
	// label selector). Not retried until the spec changes.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonSuspended: spec.suspend is true; the host is not polled.
	ReasonSuspended = "Suspended"
	// ReasonAlertsFiring: one or more threshold alerts are firing.
	ReasonAlertsFiring = "AlertsFiring"
	// ReasonWithinThresholds: no alert is firing.
	ReasonWithinThresholds = "WithinThresholds"
	// ReasonInsecureSkipVerify: spec.tls.insecureSkipVerify is set.
	ReasonInsecureSkipVerify = "InsecureSkipVerify"
	// ReasonPlaintext: spec.allowPlaintext lets a tcp:// endpoint go without TLS.
	ReasonPlaintext = "Plaintext"
	// ReasonSecure: the spec asks for verified TLS or a local socket.
	ReasonSecure = "Secure"
)

// Event reasons for threshold transitions. Alerting pipelines match on these.
const (
	// EventThresholdExceeded (Warning): a container's alert started firing.
	EventThresholdExceeded = "ThresholdExceeded"
	// EventThresholdResolved (Normal): a firing alert cleared.
	EventThresholdResolved = "ThresholdResolved"
)

// Annotations on threshold events, so event routers can match on fields
// instead of parsing the message.
const (
	AnnotationHost        = "dockwatch.io/host"
	AnnotationContainer   = "dockwatch.io/container"
	AnnotationContainerID = "dockwatch.io/container-id"
	AnnotationRule        = "dockwatch.io/rule"
	AnnotationMetric      = "dockwatch.io/metric"
	AnnotationValue       = "dockwatch.io/value"
	// AnnotationThreshold is the level the event is about: the rule's
	// above (after label overrides) on ThresholdExceeded, the clear level
	// on ThresholdResolved.
	AnnotationThreshold = "dockwatch.io/threshold"
	// AnnotationClearBelow is the level at or below which the alert
	// resolves (spec clearBelow, or above when unset).
	AnnotationClearBelow = "dockwatch.io/clear-below"
	AnnotationSeverity   = "dockwatch.io/severity"
	// AnnotationReason repeats the event's reason (ThresholdExceeded or
	// ThresholdResolved), for routers that read annotations only.
	AnnotationReason = "dockwatch.io/reason"
	// AnnotationCause says why an alert changed: Breached, Cleared,
	// ContainerGone, RuleRemoved, RuleChanged or Ignored.
	AnnotationCause = "dockwatch.io/cause"
)

// Docker container labels that tune dockwatch per container.
const (
	// LabelIgnore set to "true" on a container exempts it from every rule.
	LabelIgnore = "dockwatch.io/ignore"
	// LabelThresholdPrefix + rule name overrides that rule's `above` for the
	// container, e.g. dockwatch.io/threshold.high-cpu=95.
	LabelThresholdPrefix = "dockwatch.io/threshold."
)
