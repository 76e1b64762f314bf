package alert

import (
	"testing"
	"time"
)

// TestTransitionsCarryTheClearLevel proves each transition reports the
// level at or below which its alert resolves: the rule's clearBelow, moved
// with a label override, and the alert's threshold once the rule is gone.
func TestTransitionsCarryTheClearLevel(t *testing.T) {
	r := rule("hot", 50, 20, 0)
	fired := Evaluate(nil, []Rule{r}, []Target{c("a", 90), c("b", 90, LabelThresholdPrefix+"hot", "80")}, t0)
	want := map[string]float64{"a": 20, "b": 50}
	for _, tr := range fired.Transitions {
		if tr.Kind != Fired || tr.ClearLevel != want[tr.Alert.Container] {
			t.Errorf("%s: %s with clear level %v, want Fired with %v", tr.Alert.Container, tr.Kind, tr.ClearLevel, want[tr.Alert.Container])
		}
	}
	cleared := Evaluate(fired.Alerts, []Rule{r}, []Target{c("a", 10)}, t0.Add(time.Minute))
	for _, tr := range cleared.Transitions {
		wantReason := map[string]Reason{"a": ReasonCleared, "b": ReasonContainerGone}[tr.Alert.Container]
		if tr.Reason != wantReason || tr.ClearLevel != want[tr.Alert.Container] {
			t.Errorf("%s: %s/%s at clear level %v, want %s at %v", tr.Alert.Container, tr.Kind, tr.Reason, tr.ClearLevel, wantReason, want[tr.Alert.Container])
		}
	}
	removed := Evaluate(fired.Alerts[:1], nil, []Target{c("a", 90)}, t0.Add(time.Minute))
	if len(removed.Transitions) != 1 || removed.Transitions[0].ClearLevel != 50 {
		t.Errorf("rule removed: transitions %+v, want one at the alert's threshold 50", removed.Transitions)
	}
}
