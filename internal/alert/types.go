// Package alert is dockwatch's threshold alert state machine, with
// Prometheus semantics: a breach is Pending until it has held for the rule's
// `for`, then Firing until the value falls to the rule's clear level.
//
// It is a pure function of its inputs (the previous alerts, the rules, this
// poll's values and a clock) and knows nothing of Docker or Kubernetes. The
// previous alerts come in and the next ones go out, so the controller keeps
// them in status and a controller restart neither re-fires nor forgets an
// alert.
package alert

import "time"

// State is the stage of an active alert.
type State string

// The stages an active alert goes through. A breach that has not lasted yet
// is Pending; one that has is Firing. Resolved alerts are not kept.
const (
	Pending State = "Pending"
	Firing  State = "Firing"
)

// Docker labels that tune rules per container. They are the same strings as
// the API's LabelIgnore and LabelThresholdPrefix, repeated here so this
// package imports nothing.
const (
	// LabelIgnore set to a true value exempts the container from every rule.
	LabelIgnore = "dockwatch.io/ignore"
	// LabelThresholdPrefix + rule name overrides that rule's Above.
	LabelThresholdPrefix = "dockwatch.io/threshold."
)

// Rule raises an alert for a container whose Metric stays above Above for
// For, and resolves it once the metric is at or below ClearBelow.
type Rule struct {
	Name   string
	Metric string
	// Above is the value the metric must exceed to breach.
	Above float64
	// ClearBelow is the level at or below which a firing alert resolves;
	// values between it and Above keep it firing (hysteresis). Callers set it
	// to Above when the spec leaves it out.
	ClearBelow float64
	// For is how long a breach must hold before firing; 0 fires at once.
	For      time.Duration
	Severity string
}

// Target is one container as measured by this poll.
type Target struct {
	ID   string
	Name string
	// Values maps metric name to value. A metric missing here has no figure
	// this poll (e.g. CPU before a second sample): its alerts keep their
	// state, neither breaching nor clearing.
	Values map[string]float64
	// Labels are the container's Docker labels, read for overrides.
	Labels map[string]string
}

// Alert is one active alert: a rule breached by one container.
type Alert struct {
	Rule        string
	ContainerID string
	Container   string
	Metric      string
	// Value is the metric at the last poll that had a figure for it.
	Value float64
	// Threshold is the Above that applies to this container (after overrides).
	Threshold float64
	Severity  string
	State     State
	// Since is when the alert entered State: when the breach began for a
	// Pending alert, when it fired for a Firing one.
	Since time.Time
}

// Kind tells what a transition did.
type Kind string

// Transitions are what the controller turns into events.
const (
	// Fired: the alert went from breaching (or Pending) to Firing.
	Fired Kind = "Fired"
	// Resolved: a Firing alert ended. Pending alerts end without one.
	Resolved Kind = "Resolved"
)

// Reason says why a transition happened.
type Reason string

// Reasons for transitions.
const (
	// ReasonBreached: the value stayed above the threshold for the rule's For.
	ReasonBreached Reason = "Breached"
	// ReasonCleared: the value fell to or below the clear level.
	ReasonCleared Reason = "Cleared"
	// ReasonContainerGone: the container is no longer among the targets
	// (removed, stopped or no longer selected).
	ReasonContainerGone Reason = "ContainerGone"
	// ReasonRuleRemoved: the rule is no longer in the spec.
	ReasonRuleRemoved Reason = "RuleRemoved"
	// ReasonRuleChanged: the rule now watches another metric, so the old
	// alert no longer means anything.
	ReasonRuleChanged Reason = "RuleChanged"
	// ReasonIgnored: the container was labelled to be ignored.
	ReasonIgnored Reason = "Ignored"
)

// Transition is a change worth an event: an alert fired or resolved.
type Transition struct {
	Kind   Kind
	Reason Reason
	// Alert is the alert as it fired, or as it last was when it resolved
	// (State Firing, Since when it fired) with the latest Value.
	Alert Alert
	// ClearLevel is the level at or below which the alert resolves on
	// this container (the rule's ClearBelow, moved with a label override);
	// the alert's Threshold when its rule is gone.
	ClearLevel float64
}

// Result is the outcome of one evaluation.
type Result struct {
	// Alerts is the next active set, firing first, then by rule and
	// container name. Feed it back as prev on the next poll.
	Alerts []Alert
	// Transitions are this poll's Fired and Resolved changes, in the same order.
	Transitions []Transition
	// Warnings report unusable input (bad label values, invalid rules),
	// which was ignored rather than failing the evaluation.
	Warnings []string
}

// Counts returns how many of alerts are firing and pending.
func Counts(alerts []Alert) (firing, pending int) {
	for _, a := range alerts {
		if a.State == Firing {
			firing++
		} else {
			pending++
		}
	}
	return firing, pending
}
