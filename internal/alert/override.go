package alert

import (
	"math"
	"strconv"
	"strings"
)

// overrides are one container's label-driven changes to the rules.
type overrides struct {
	ignore bool
	// above maps rule name to the container's own threshold.
	above map[string]float64
}

// overridesFor reads a container's dockwatch labels. Unusable values are
// reported as warnings and otherwise ignored: a typo on one container must
// not stop alerting for the others, nor silently exempt this one. Labels
// naming rules that do not exist are ignored quietly, since the same
// container may be watched by hosts with other rules.
func (e *evaluation) overridesFor(t Target) overrides {
	var ov overrides
	if v, ok := t.Labels[LabelIgnore]; ok {
		ignore, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			e.warnf("container %s: label %s=%q is not true or false; not ignoring it", t.Name, LabelIgnore, v)
		}
		ov.ignore = ignore
	}
	for _, r := range e.rules {
		label := LabelThresholdPrefix + r.Name
		v, ok := t.Labels[label]
		if !ok {
			continue
		}
		above, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(above) || math.IsInf(above, 0) || above < 0 {
			e.warnf("container %s: label %s=%q is not a non-negative number; using the rule's threshold %v", t.Name, label, v, r.Above)
			continue
		}
		if ov.above == nil {
			ov.above = map[string]float64{}
		}
		ov.above[r.Name] = above
	}
	return ov
}

// levels returns the threshold and clear level for r on this container. An
// overridden threshold keeps the rule's hysteresis gap, but never a larger
// share of itself than the rule's own clear level is of the rule's
// threshold: above 200, clearBelow 100 overridden to 50 clears at 25 (half,
// as the rule does), not at 0, which a running container's pids or memory
// never reach.
func (ov overrides) levels(r Rule) (above, clear float64) {
	above, ok := ov.above[r.Name]
	if !ok {
		return r.Above, r.ClearBelow
	}
	return above, overrideClear(r, above)
}

// overrideClear is the clear level for rule r with its threshold overridden
// to above (see levels).
func overrideClear(r Rule, above float64) float64 {
	clear := above - (r.Above - r.ClearBelow)
	if r.Above > 0 {
		ratio := min(1, max(0, r.ClearBelow/r.Above))
		clear = max(clear, above*ratio)
	}
	return max(0, clear)
}
