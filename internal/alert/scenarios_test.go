package alert

import "time"

const (
	ignore = LabelIgnore
	thCPU  = LabelThresholdPrefix + "high-cpu"
	m      = time.Minute
	s      = time.Second
)

// scenarios are the state machine's behaviours, one per operator promise.
func scenarios() []scenario {
	highCPU := []Rule{rule("high-cpu", 80, -1, 2*m)}
	return append(append(lifecycleScenarios(highCPU), overrideScenarios()...), churnScenarios(highCPU)...)
}

// lifecycleScenarios cover Pending, Firing, resolving and hysteresis.
func lifecycleScenarios(highCPU []Rule) []scenario {
	return []scenario{
		{name: "breach starts pending without an event", rules: highCPU, polls: []poll{
			{at: 0, targets: []Target{c("web", 90)}, alerts: []string{"high-cpu/web Pending@+0s 90/80"}},
		}},
		{name: "fires once the breach has held for For, and only once", rules: highCPU, polls: []poll{
			{at: 0, targets: []Target{c("web", 90)}, alerts: []string{"high-cpu/web Pending@+0s 90/80"}},
			{at: 1 * m, targets: []Target{c("web", 95)}, alerts: []string{"high-cpu/web Pending@+0s 95/80"}},
			{at: 2 * m, targets: []Target{c("web", 91)}, alerts: []string{"high-cpu/web Firing@+2m0s 91/80"},
				events: []string{"Fired high-cpu/web Breached 91"}},
			{at: 3 * m, targets: []Target{c("web", 99)}, alerts: []string{"high-cpu/web Firing@+2m0s 99/80"}},
		}},
		{name: "For 0 fires on the first breaching poll", rules: []Rule{rule("high-cpu", 80, -1, 0)}, polls: []poll{
			{at: 0, targets: []Target{c("web", 80)}},
			{at: 30 * s, targets: []Target{c("web", 80.5)}, alerts: []string{"high-cpu/web Firing@+30s 80.5/80"},
				events: []string{"Fired high-cpu/web Breached 80.5"}},
		}},
		{name: "pending breach that ends before For is dropped silently", rules: highCPU, polls: []poll{
			{at: 0, targets: []Target{c("web", 90)}, alerts: []string{"high-cpu/web Pending@+0s 90/80"}},
			{at: 1 * m, targets: []Target{c("web", 80)}},
			{at: 2 * m, targets: []Target{c("web", 90)}, alerts: []string{"high-cpu/web Pending@+2m0s 90/80"}},
			{at: 3 * m, targets: []Target{c("web", 90)}, alerts: []string{"high-cpu/web Pending@+2m0s 90/80"}},
			{at: 4 * m, targets: []Target{c("web", 90)}, alerts: []string{"high-cpu/web Firing@+4m0s 90/80"},
				events: []string{"Fired high-cpu/web Breached 90"}},
		}},
		{name: "firing alert holds between clearBelow and above, resolves at clearBelow",
			rules: []Rule{rule("high-cpu", 80, 70, 0)}, polls: []poll{
				{at: 0, targets: []Target{c("web", 90)}, alerts: []string{"high-cpu/web Firing@+0s 90/80"},
					events: []string{"Fired high-cpu/web Breached 90"}},
				{at: 1 * m, targets: []Target{c("web", 75)}, alerts: []string{"high-cpu/web Firing@+0s 75/80"}},
				{at: 2 * m, targets: []Target{c("web", 70.1)}, alerts: []string{"high-cpu/web Firing@+0s 70.1/80"}},
				{at: 3 * m, targets: []Target{c("web", 70)}, events: []string{"Resolved high-cpu/web Cleared 70"}},
				{at: 4 * m, targets: []Target{c("web", 75)}},
			}},
		{name: "without clearBelow a firing alert resolves at above", rules: []Rule{rule("high-cpu", 80, -1, 0)}, polls: []poll{
			{at: 0, targets: []Target{c("web", 81)}, alerts: []string{"high-cpu/web Firing@+0s 81/80"},
				events: []string{"Fired high-cpu/web Breached 81"}},
			{at: 1 * m, targets: []Target{c("web", 80)}, events: []string{"Resolved high-cpu/web Cleared 80"}},
		}},
		{name: "value flapping around the threshold never fires", rules: []Rule{rule("high-cpu", 80, -1, 1*m)}, polls: []poll{
			{at: 0, targets: []Target{c("web", 85)}, alerts: []string{"high-cpu/web Pending@+0s 85/80"}},
			{at: 30 * s, targets: []Target{c("web", 75)}},
			{at: 60 * s, targets: []Target{c("web", 85)}, alerts: []string{"high-cpu/web Pending@+1m0s 85/80"}},
			{at: 90 * s, targets: []Target{c("web", 75)}},
			{at: 120 * s, targets: []Target{c("web", 85)}, alerts: []string{"high-cpu/web Pending@+2m0s 85/80"}},
			{at: 150 * s, targets: []Target{c("web", 79.9)}},
		}},
		{name: "clearBelow above the threshold is clamped with a warning",
			rules: []Rule{rule("high-cpu", 80, 90, 0)}, polls: []poll{
				{at: 0, targets: []Target{c("web", 85)}, alerts: []string{"high-cpu/web Firing@+0s 85/80"},
					events: []string{"Fired high-cpu/web Breached 85"}, warns: []string{`rule "high-cpu": clearBelow 90`}},
				{at: 1 * m, targets: []Target{c("web", 80)}, events: []string{"Resolved high-cpu/web Cleared 80"},
					warns: []string{`rule "high-cpu": clearBelow 90`}},
			}},
	}
}

// overrideScenarios cover the per-container labels.
func overrideScenarios() []scenario {
	gap := []Rule{rule("high-cpu", 80, 70, 0)}
	return []scenario{
		{name: "label threshold overrides above and keeps the hysteresis gap", rules: gap, polls: []poll{
			{at: 0, targets: []Target{c("db", 90, thCPU, "95"), c("web", 90)},
				alerts: []string{"high-cpu/web Firing@+0s 90/80"}, events: []string{"Fired high-cpu/web Breached 90"}},
			{at: 1 * m, targets: []Target{c("db", 96, thCPU, "95"), c("web", 90)},
				alerts: []string{"high-cpu/db Firing@+1m0s 96/95", "high-cpu/web Firing@+0s 90/80"},
				events: []string{"Fired high-cpu/db Breached 96"}},
			{at: 2 * m, targets: []Target{c("db", 86, thCPU, "95"), c("web", 90)},
				alerts: []string{"high-cpu/db Firing@+1m0s 86/95", "high-cpu/web Firing@+0s 90/80"}},
			{at: 3 * m, targets: []Target{c("db", 85, thCPU, " 95 "), c("web", 90)},
				alerts: []string{"high-cpu/web Firing@+0s 90/80"}, events: []string{"Resolved high-cpu/db Cleared 85"}},
		}},
		{name: "unmeasured poll keeps the overridden threshold", rules: gap, polls: []poll{
			{at: 0, targets: []Target{c("db", 96, thCPU, "95")},
				alerts: []string{"high-cpu/db Firing@+0s 96/95"}, events: []string{"Fired high-cpu/db Breached 96"}},
			// Unmeasured containers come without labels: the alert must not
			// fall back to the rule's threshold for that poll.
			{at: 1 * m, targets: []Target{{ID: "id-db", Name: "db"}}, alerts: []string{"high-cpu/db Firing@+0s 96/95"}},
			{at: 2 * m, targets: []Target{c("db", 90, thCPU, "95")}, alerts: []string{"high-cpu/db Firing@+0s 90/95"}},
		}},
		{name: "override below the gap clears at the rule's proportion, not zero", rules: []Rule{rule("high-cpu", 200, 100, 0)}, polls: []poll{
			{at: 0, targets: []Target{c("db", 60, thCPU, "50")},
				alerts: []string{"high-cpu/db Firing@+0s 60/50"}, events: []string{"Fired high-cpu/db Breached 60"}},
			{at: 1 * m, targets: []Target{c("db", 25.1, thCPU, "50")}, alerts: []string{"high-cpu/db Firing@+0s 25.1/50"}},
			{at: 2 * m, targets: []Target{c("db", 25, thCPU, "50")}, events: []string{"Resolved high-cpu/db Cleared 25"}},
		}},
		{name: "ignore label resolves a firing alert and drops a pending one",
			rules: []Rule{rule("high-cpu", 80, -1, 0), {Name: "slow", Metric: cpu, Above: 50, ClearBelow: 50, For: time.Hour}},
			polls: []poll{
				{at: 0, targets: []Target{c("web", 90)},
					alerts: []string{"high-cpu/web Firing@+0s 90/80", "slow/web Pending@+0s 90/50"},
					events: []string{"Fired high-cpu/web Breached 90"}},
				{at: 1 * m, targets: []Target{c("web", 90, ignore, "true")},
					events: []string{"Resolved high-cpu/web Ignored 90"}},
				{at: 2 * m, targets: []Target{c("web", 95, ignore, "true")}},
				{at: 3 * m, targets: []Target{c("web", 95, ignore, "false")},
					alerts: []string{"high-cpu/web Firing@+3m0s 95/80", "slow/web Pending@+3m0s 95/50"},
					events: []string{"Fired high-cpu/web Breached 95"}},
			}},
		{name: "bad label values are reported and ignored", rules: gap, polls: []poll{
			{at: 0, targets: []Target{c("a", 85, thCPU, "lots"), c("b", 85, thCPU, "-3"), c("c", 85, ignore, "yes please"),
				c("d", 50, LabelThresholdPrefix+"no-such-rule", "x")},
				alerts: []string{"high-cpu/a Firing@+0s 85/80", "high-cpu/b Firing@+0s 85/80", "high-cpu/c Firing@+0s 85/80"},
				events: []string{"Fired high-cpu/a Breached 85", "Fired high-cpu/b Breached 85", "Fired high-cpu/c Breached 85"},
				warns:  []string{`label dockwatch.io/threshold.high-cpu="lots"`, `"-3"`, `dockwatch.io/ignore="yes please"`}},
		}},
	}
}

// churnScenarios cover containers and rules coming and going, restarts,
// missing figures and independence between containers.
func churnScenarios(highCPU []Rule) []scenario {
	instant := []Rule{rule("high-cpu", 80, 70, 0)}
	return []scenario{
		{name: "vanished container resolves firing alerts and drops pending ones", rules: []Rule{
			rule("high-cpu", 80, -1, 0), rule("very-high-cpu", 95, -1, time.Hour)}, polls: []poll{
			{at: 0, targets: []Target{c("web", 99), c("db", 10)},
				alerts: []string{"high-cpu/web Firing@+0s 99/80", "very-high-cpu/web Pending@+0s 99/95"},
				events: []string{"Fired high-cpu/web Breached 99"}},
			{at: 1 * m, targets: []Target{c("db", 10)}, events: []string{"Resolved high-cpu/web ContainerGone 99"}},
		}},
		{name: "removed rule resolves its firing alerts", rules: instant, polls: []poll{
			{at: 0, targets: []Target{c("web", 99)}, alerts: []string{"high-cpu/web Firing@+0s 99/80"},
				events: []string{"Fired high-cpu/web Breached 99"}},
			{at: 1 * m, rules: []Rule{}, targets: []Target{c("web", 99)}, events: []string{"Resolved high-cpu/web RuleRemoved 99"}},
		}},
		{name: "rule switched to another metric resolves, then evaluates afresh", rules: instant, polls: []poll{
			{at: 0, targets: []Target{c("web", 99)}, alerts: []string{"high-cpu/web Firing@+0s 99/80"},
				events: []string{"Fired high-cpu/web Breached 99"}},
			{at: 1 * m, rules: []Rule{{Name: "high-cpu", Metric: "pids", Above: 10, ClearBelow: 10}},
				targets: []Target{{ID: "id-web", Name: "web", Values: map[string]float64{cpu: 99, "pids": 12}}},
				alerts:  []string{"high-cpu/web Firing@+1m0s 12/10"},
				events:  []string{"Resolved high-cpu/web RuleChanged 99", "Fired high-cpu/web Breached 12"}},
		}},
		{name: "restart from persisted status neither re-fires nor forgets", rules: highCPU, polls: []poll{
			{at: 0, targets: []Target{c("web", 90), c("db", 50)}, alerts: []string{"high-cpu/web Pending@+0s 90/80"}},
			{at: 2 * m, targets: []Target{c("web", 90), c("db", 90)},
				alerts: []string{"high-cpu/web Firing@+2m0s 90/80", "high-cpu/db Pending@+2m0s 90/80"},
				events: []string{"Fired high-cpu/web Breached 90"}},
			{at: 3 * m, restart: true, targets: []Target{c("web", 90), c("db", 90)},
				alerts: []string{"high-cpu/web Firing@+2m0s 90/80", "high-cpu/db Pending@+2m0s 90/80"}},
			{at: 4 * m, restart: true, targets: []Target{c("web", 90), c("db", 90)},
				alerts: []string{"high-cpu/db Firing@+4m0s 90/80", "high-cpu/web Firing@+2m0s 90/80"},
				events: []string{"Fired high-cpu/db Breached 90"}},
		}},
		{name: "missing figure keeps the state, neither breaching nor clearing", rules: []Rule{rule("high-cpu", 80, 70, 2*m)}, polls: []poll{
			{at: 0, targets: []Target{c("web", 90), c("db", 90)},
				alerts: []string{"high-cpu/db Pending@+0s 90/80", "high-cpu/web Pending@+0s 90/80"}},
			{at: 2 * m, targets: []Target{c("web", 90), noValue("db")},
				alerts: []string{"high-cpu/web Firing@+2m0s 90/80", "high-cpu/db Pending@+0s 90/80"},
				events: []string{"Fired high-cpu/web Breached 90"}},
			{at: 3 * m, targets: []Target{noValue("web"), noValue("db"), noValue("new")},
				alerts: []string{"high-cpu/web Firing@+2m0s 90/80", "high-cpu/db Pending@+0s 90/80"}},
			{at: 4 * m, targets: []Target{c("web", 60), c("db", 85)},
				alerts: []string{"high-cpu/db Firing@+4m0s 85/80"},
				events: []string{"Fired high-cpu/db Breached 85", "Resolved high-cpu/web Cleared 60"}},
		}},
		{name: "each container gets its own transitions", rules: instant, polls: []poll{
			{at: 0, targets: []Target{c("b", 90), c("a", 95), c("c", 10)},
				alerts: []string{"high-cpu/a Firing@+0s 95/80", "high-cpu/b Firing@+0s 90/80"},
				events: []string{"Fired high-cpu/a Breached 95", "Fired high-cpu/b Breached 90"}},
			{at: 1 * m, targets: []Target{c("b", 60), c("a", 95), c("c", 85)},
				alerts: []string{"high-cpu/a Firing@+0s 95/80", "high-cpu/c Firing@+1m0s 85/80"},
				events: []string{"Resolved high-cpu/b Cleared 60", "Fired high-cpu/c Breached 85"}},
		}},
	}
}
