package alert

import "testing"

func TestOverriddenClearLevelStaysReachable(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		ruleAbove, ruleClear   float64
		override, wantClearsAt float64
	}{
		{"override above the gap keeps the absolute gap", 80, 70, 95, 85},
		{"override below the gap keeps the rule's proportion", 200, 100, 50, 25},
		{"override equal to the gap keeps the rule's proportion", 200, 100, 100, 50},
		{"small override on a tight rule keeps the proportion", 80, 70, 5, 4.375},
		{"rule without hysteresis clears at the override", 80, 80, 50, 50},
		{"rule clearing only at zero still clears only at zero", 200, 0, 50, 0},
		{"override of zero clears at zero", 200, 100, 0, 0},
		{"rule with a zero threshold keeps its gap floored at zero", 0, 0, 10, 10},
		{"override raising the threshold keeps the absolute gap", 200, 100, 1000, 900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Rule{Name: "r", Metric: cpu, Above: tc.ruleAbove, ClearBelow: tc.ruleClear}
			ov := overrides{above: map[string]float64{"r": tc.override}}
			above, clear := ov.levels(r)
			if above != tc.override || clear != tc.wantClearsAt {
				t.Fatalf("levels = (%v, %v), want (%v, %v)", above, clear, tc.override, tc.wantClearsAt)
			}
			if tc.override > 0 && clear <= 0 && tc.ruleClear > 0 {
				t.Fatalf("a positive override of a rule that clears above zero must clear above zero, got %v", clear)
			}
		})
	}
}
