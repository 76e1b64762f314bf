package alert

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// key identifies an alert: one rule on one container.
type key struct{ rule, containerID string }

// evaluation carries one Evaluate call's inputs and what it has produced.
type evaluation struct {
	now         time.Time
	rules       []Rule
	ruleByName  map[string]Rule
	targets     []Target
	targetIDs   map[string]bool
	prev        map[key]Alert
	prevOrder   []key
	next        []Alert
	transitions []Transition
	warnings    []string
}

// Evaluate advances every alert by one poll. prev is the active set the
// last call returned (or the controller restored from status), rules the
// current spec, targets the containers measured now, and now the poll time.
//
// Per (rule, container): a value above the threshold starts a Pending alert;
// it fires once the breach has held for the rule's For (at once for 0). A
// Pending alert whose value drops to the threshold or below is dropped
// without a transition, so a value flapping around the threshold never
// fires. A Firing alert resolves at or below ClearBelow and stays Firing
// between ClearBelow and Above. Firing alerts also resolve when their
// container or rule disappears or the container is labelled ignored;
// Pending ones are then dropped silently. A metric missing from a target
// keeps its alert as it is.
func Evaluate(prev []Alert, rules []Rule, targets []Target, now time.Time) Result {
	e := &evaluation{now: now}
	e.indexRules(rules)
	e.indexTargets(targets)
	e.indexPrev(prev)
	e.retireOrphans()
	for _, t := range e.targets {
		ov := e.overridesFor(t)
		for _, r := range e.rules {
			e.step(r, t, ov)
		}
	}
	return e.result()
}

// indexRules keeps the usable rules in spec order. A rule without a name or
// metric, or a duplicate name, cannot own alerts and is skipped; a clear
// level above the threshold is clamped to it, the API's default.
func (e *evaluation) indexRules(rules []Rule) {
	e.ruleByName = make(map[string]Rule, len(rules))
	for _, r := range rules {
		switch {
		case r.Name == "" || r.Metric == "":
			e.warnf("rule %q watching %q is missing a name or metric; ignored", r.Name, r.Metric)
			continue
		case math.IsNaN(r.Above):
			e.warnf("rule %q has no usable threshold; ignored", r.Name)
			continue
		case e.hasRule(r.Name):
			e.warnf("rule %q is defined more than once; only the first is used", r.Name)
			continue
		}
		if math.IsNaN(r.ClearBelow) || r.ClearBelow > r.Above {
			e.warnf("rule %q: clearBelow %v is above its threshold %v; using %v", r.Name, r.ClearBelow, r.Above, r.Above)
			r.ClearBelow = r.Above
		}
		e.ruleByName[r.Name] = r
		e.rules = append(e.rules, r)
	}
}

// hasRule reports whether a rule named name has been indexed.
func (e *evaluation) hasRule(name string) bool {
	_, ok := e.ruleByName[name]
	return ok
}

// indexTargets keeps the targets with a unique, non-empty ID.
func (e *evaluation) indexTargets(targets []Target) {
	e.targetIDs = make(map[string]bool, len(targets))
	for _, t := range targets {
		if t.ID == "" {
			e.warnf("container %q has no ID; ignored", t.Name)
			continue
		}
		if e.targetIDs[t.ID] {
			e.warnf("container %s (%q) listed more than once; only the first is used", t.ID, t.Name)
			continue
		}
		e.targetIDs[t.ID] = true
		e.targets = append(e.targets, t)
	}
}

// indexPrev maps the previous alerts by key. Entries that cannot come from
// Evaluate (unknown state, a second alert for the same key) are dropped, so
// a hand-edited status cannot wedge the state machine.
func (e *evaluation) indexPrev(prev []Alert) {
	e.prev = make(map[key]Alert, len(prev))
	for _, a := range prev {
		k := key{a.Rule, a.ContainerID}
		if a.State != Pending && a.State != Firing {
			e.warnf("alert %s on %s has unknown state %q; dropped", a.Rule, a.Container, a.State)
			continue
		}
		if _, dup := e.prev[k]; dup {
			e.warnf("alert %s on %s listed more than once; only the first is used", a.Rule, a.Container)
			continue
		}
		e.prev[k] = a
		e.prevOrder = append(e.prevOrder, k)
	}
}

// retireOrphans ends previous alerts whose rule or container is gone, or
// whose rule now watches another metric.
func (e *evaluation) retireOrphans() {
	for _, k := range e.prevOrder {
		p := e.prev[k]
		r, ruleOK := e.ruleByName[p.Rule]
		switch {
		case !ruleOK:
			e.end(k, p, ReasonRuleRemoved)
		case r.Metric != p.Metric:
			e.end(k, p, ReasonRuleChanged)
		case !e.targetIDs[p.ContainerID]:
			e.end(k, p, ReasonContainerGone)
		}
	}
}

// end removes a previous alert; only a Firing one says so with a Resolved
// transition, since a Pending alert was never announced.
func (e *evaluation) end(k key, p Alert, reason Reason) {
	delete(e.prev, k)
	if p.State == Firing {
		e.transition(Resolved, reason, p)
	}
}

// step advances one rule on one container by this poll's value.
func (e *evaluation) step(r Rule, t Target, ov overrides) {
	k := key{r.Name, t.ID}
	p, had := e.prev[k]
	if ov.ignore {
		if had {
			e.end(k, p, ReasonIgnored)
		}
		return
	}
	v, ok := t.Values[r.Metric]
	if !ok || math.IsNaN(v) {
		// No figure this poll: keep the alert as it was. An unmeasured
		// container may come without labels, so its overrides cannot be
		// trusted to recompute the threshold.
		if had {
			e.next = append(e.next, p)
		}
		return
	}
	above, clear := ov.levels(r)
	a := Alert{Rule: r.Name, ContainerID: t.ID, Container: t.Name, Metric: r.Metric,
		Threshold: above, Severity: r.Severity, Value: v}
	switch {
	case had && p.State == Firing:
		a.State, a.Since = Firing, p.Since
		if v <= clear {
			e.transition(Resolved, ReasonCleared, a)
			return
		}
	case v <= above:
		return // not breaching; a Pending alert ends silently
	case had:
		a.State, a.Since = Pending, p.Since
		e.fireIfDue(&a, r)
	default:
		a.State, a.Since = Pending, e.now
		e.fireIfDue(&a, r)
	}
	e.next = append(e.next, a)
}

// fireIfDue turns a Pending alert Firing once its breach has held for the
// rule's For.
func (e *evaluation) fireIfDue(a *Alert, r Rule) {
	if e.now.Sub(a.Since) < r.For {
		return
	}
	a.State, a.Since = Firing, e.now
	e.transition(Fired, ReasonBreached, *a)
}

// transition records a Fired or Resolved change.
func (e *evaluation) transition(kind Kind, reason Reason, a Alert) {
	t := Transition{Kind: kind, Reason: reason, Alert: a, ClearLevel: a.Threshold}
	if r, ok := e.ruleByName[a.Rule]; ok {
		// The alert's threshold is the rule's, or its label override;
		// levels moves the clear level with it.
		_, t.ClearLevel = overrides{above: map[string]float64{r.Name: a.Threshold}}.levels(r)
	}
	e.transitions = append(e.transitions, t)
}

// warnf records a warning once.
func (e *evaluation) warnf(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if !slices.Contains(e.warnings, w) {
		e.warnings = append(e.warnings, w)
	}
}

// result sorts the output so that status and events come out the same for
// the same input: firing alerts first, then by rule and container.
func (e *evaluation) result() Result {
	slices.SortStableFunc(e.next, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(stateRank(a.State), stateRank(b.State)), compareAlerts(a, b))
	})
	// Within one alert a Resolved (old metric) precedes a Fired (new metric).
	slices.SortStableFunc(e.transitions, func(a, b Transition) int {
		return cmp.Or(compareAlerts(a.Alert, b.Alert), cmp.Compare(kindRank(a.Kind), kindRank(b.Kind)))
	})
	return Result{Alerts: e.next, Transitions: e.transitions, Warnings: e.warnings}
}

// compareAlerts orders by rule, container name, then container ID.
func compareAlerts(a, b Alert) int {
	return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Container, b.Container),
		cmp.Compare(a.ContainerID, b.ContainerID))
}

// stateRank puts Firing before Pending.
func stateRank(s State) int {
	if s == Firing {
		return 0
	}
	return 1
}

// kindRank puts Resolved before Fired.
func kindRank(k Kind) int {
	if k == Resolved {
		return 0
	}
	return 1
}
