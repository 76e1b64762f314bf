package docker

import (
	"fmt"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Selection says which containers a snapshot reports.
type Selection struct {
	// Include and Exclude are path.Match globs on the container name without
	// its leading slash. Empty Include means every name; Exclude wins.
	Include, Exclude []string
	// Labels filters on Docker labels; nil means every container.
	Labels labels.Selector
	// All includes containers that are not running (reported without figures).
	All bool
}

// ParseSelection builds a Selection from user input, rejecting malformed
// globs and label selectors up front: at match time a bad glob would just
// silently match nothing.
func ParseSelection(include, exclude []string, labelSelector string, all bool) (Selection, error) {
	if err := checkGlobs("include", include); err != nil {
		return Selection{}, err
	}
	if err := checkGlobs("exclude", exclude); err != nil {
		return Selection{}, err
	}
	sel := Selection{Include: include, Exclude: exclude, All: all}
	if strings.TrimSpace(labelSelector) != "" {
		parsed, err := labels.Parse(labelSelector)
		if err != nil {
			return Selection{}, fmt.Errorf("label selector %q: %w", labelSelector, err)
		}
		sel.Labels = parsed
	}
	return sel, nil
}

// checkGlobs validates each pattern the way path.Match will use it.
func checkGlobs(kind string, patterns []string) error {
	for i, p := range patterns {
		if p == "" {
			return fmt.Errorf("%s pattern %d is empty (use * to match every name)", kind, i+1)
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("%s pattern %q: %w", kind, p, err)
		}
	}
	return nil
}

// Matches reports whether a container with this name (leading slash
// optional, as Docker lists it) and these labels is selected. It does not
// look at the running state: the list call already applied All.
func (s Selection) Matches(name string, lbls map[string]string) bool {
	name = strings.TrimPrefix(name, "/")
	if len(s.Include) > 0 && !matchesAny(s.Include, name) {
		return false
	}
	if matchesAny(s.Exclude, name) {
		return false
	}
	return s.Labels == nil || s.Labels.Matches(labels.Set(lbls))
}

// matchesAny reports whether a glob matches; a malformed glob (possible
// only in a Selection built without ParseSelection) matches nothing.
func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(p, name); ok && err == nil {
			return true
		}
	}
	return false
}
