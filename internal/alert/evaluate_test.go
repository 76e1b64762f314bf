package alert

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is the injected clock's start; polls give offsets from it.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const cpu = "cpuPercent"

// poll is one Evaluate call in a scenario.
type poll struct {
	at      time.Duration // clock offset from t0
	targets []Target
	rules   []Rule // nil: the scenario's rules
	restart bool   // persist prev as status would, then evaluate afresh
	alerts  []string
	events  []string
	warns   []string // substrings expected among the warnings
}

// scenario is a named sequence of polls against one rule set.
type scenario struct {
	name  string
	rules []Rule
	polls []poll
}

// rule builds a cpuPercent rule; clear < 0 means "defaults to above".
func rule(name string, above, clear float64, forDur time.Duration) Rule {
	if clear < 0 {
		clear = above
	}
	return Rule{Name: name, Metric: cpu, Above: above, ClearBelow: clear, For: forDur, Severity: "warning"}
}

// c is a container measured at the given CPU with optional label pairs.
func c(name string, v float64, labels ...string) Target {
	t := noValue(name, labels...)
	t.Values = map[string]float64{cpu: v}
	return t
}

// noValue is a container with no CPU figure this poll.
func noValue(name string, labels ...string) Target {
	t := Target{ID: "id-" + name, Name: name, Labels: map[string]string{}}
	for i := 0; i+1 < len(labels); i += 2 {
		t.Labels[labels[i]] = labels[i+1]
	}
	return t
}

// at formats a clock offset the way expectations are written.
func at(ts time.Time) string { return "+" + ts.Sub(t0).String() }

// alertString renders an alert as "rule/container State@+since value/threshold".
func alertString(a Alert) string {
	return fmt.Sprintf("%s/%s %s@%s %g/%g", a.Rule, a.Container, a.State, at(a.Since), a.Value, a.Threshold)
}

// transitionString renders a transition as "Kind rule/container Reason value".
func transitionString(tr Transition) string {
	return fmt.Sprintf("%s %s/%s %s %g", tr.Kind, tr.Alert.Rule, tr.Alert.Container, tr.Reason, tr.Alert.Value)
}

// persist copies alerts the way status stores them (metav1.Time keeps whole
// seconds), as a restarted controller reads them back.
func persist(alerts []Alert) []Alert {
	out := make([]Alert, len(alerts))
	for i, a := range alerts {
		a.Since = a.Since.Truncate(time.Second)
		out[i] = a
	}
	return out
}

// run plays a scenario, feeding each result's alerts into the next poll.
func (sc scenario) run(t *testing.T) {
	var prev []Alert
	for i, p := range sc.polls {
		rules := sc.rules
		if p.rules != nil {
			rules = p.rules
		}
		if p.restart {
			prev = persist(prev)
		}
		res := Evaluate(prev, rules, p.targets, t0.Add(p.at))
		prev = res.Alerts
		check(t, i, "alerts", mapStrings(res.Alerts, alertString), p.alerts)
		check(t, i, "transitions", mapStrings(res.Transitions, transitionString), p.events)
		for _, w := range p.warns {
			if !slices.ContainsFunc(res.Warnings, func(got string) bool { return strings.Contains(got, w) }) {
				t.Errorf("poll %d (+%s): no warning containing %q in %q", i, p.at, w, res.Warnings)
			}
		}
		if len(p.warns) == 0 && len(res.Warnings) > 0 {
			t.Errorf("poll %d (+%s): unexpected warnings %q", i, p.at, res.Warnings)
		}
	}
}

// check compares rendered output with the expectation, treating nil and
// empty alike.
func check(t *testing.T, poll int, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("poll %d %s:\n got  %q\n want %q", poll, what, got, want)
	}
}

// mapStrings renders each element with f.
func mapStrings[T any](xs []T, f func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

// TestEvaluate walks the state machine through the cases operators rely on.
func TestEvaluate(t *testing.T) {
	for _, s := range scenarios() {
		t.Run(s.name, s.run)
	}
}

// TestCounts counts firing and pending alerts.
func TestCounts(t *testing.T) {
	f, p := Counts([]Alert{{State: Firing}, {State: Pending}, {State: Firing}})
	if f != 2 || p != 1 {
		t.Fatalf("Counts = %d firing, %d pending; want 2, 1", f, p)
	}
}

// TestEvaluateSkipsMalformedInput proves that unusable rules, targets and
// restored alerts are reported and skipped instead of breaking the poll.
func TestEvaluateSkipsMalformedInput(t *testing.T) {
	rules := []Rule{
		rule("high-cpu", 80, -1, 0),
		rule("high-cpu", 10, -1, 0),
		{Name: "", Metric: cpu, Above: 1},
		{Name: "nan", Metric: cpu, Above: nan()},
	}
	targets := []Target{c("web", 90), c("web", 10), {Name: "anonymous", Values: map[string]float64{cpu: 99}}}
	prev := []Alert{
		{Rule: "high-cpu", ContainerID: "id-web", Container: "web", Metric: cpu, State: "Exploded"},
		{Rule: "high-cpu", ContainerID: "id-gone", Container: "gone", Metric: cpu, State: Pending, Since: t0},
		{Rule: "high-cpu", ContainerID: "id-gone", Container: "gone", Metric: cpu, State: Firing, Since: t0},
	}
	snapshot := slices.Clone(prev)
	res := Evaluate(prev, rules, targets, t0)
	check(t, 0, "alerts", mapStrings(res.Alerts, alertString), []string{"high-cpu/web Firing@+0s 90/80"})
	check(t, 0, "transitions", mapStrings(res.Transitions, transitionString), []string{"Fired high-cpu/web Breached 90"})
	for _, w := range []string{`"high-cpu" is defined more than once`, "missing a name", `"nan" has no usable threshold`,
		`"anonymous" has no ID`, "listed more than once", `unknown state "Exploded"`, "alert high-cpu on gone listed more than once"} {
		if !slices.ContainsFunc(res.Warnings, func(got string) bool { return strings.Contains(got, w) }) {
			t.Errorf("no warning containing %q in %q", w, res.Warnings)
		}
	}
	if !slices.Equal(prev, snapshot) {
		t.Errorf("Evaluate modified its prev argument")
	}
}

// TestEvaluateTreatsNaNAsMissing keeps a firing alert when a value is NaN,
// since NaN compares false both ways and would otherwise wedge it.
func TestEvaluateTreatsNaNAsMissing(t *testing.T) {
	rules := []Rule{rule("high-cpu", 80, -1, 0)}
	res := Evaluate(nil, rules, []Target{c("web", 90)}, t0)
	res = Evaluate(res.Alerts, rules, []Target{c("web", nan())}, t0.Add(m))
	check(t, 1, "alerts", mapStrings(res.Alerts, alertString), []string{"high-cpu/web Firing@+0s 90/80"})
	check(t, 1, "transitions", mapStrings(res.Transitions, transitionString), nil)
}

// nan is shorthand for math.NaN in tables.
func nan() float64 { return math.NaN() }
