package main

import (
	"strings"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// filterList collects repeated --filter flags in the order given.
type filterList []string

func (f *filterList) String() string { return strings.Join(*f, ",") }

// Set appends one --filter value; it is checked later, with the others.
func (f *filterList) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// parseFilters turns --filter values into a Selection, as docker combines
// them: several name= filters match any of the names, several label=
// filters must all hold. Names are globs on the container name without its
// slash ("web-*"); labels use the label-selector syntax ("env=prod",
// "tier in (web,api)", "!debug"), a superset of docker's label=KEY[=VALUE].
func parseFilters(filters []string, all bool) (docker.Selection, error) {
	var names, labels []string
	for _, f := range filters {
		key, value, ok := strings.Cut(f, "=")
		key = strings.TrimSpace(key)
		if !ok || strings.TrimSpace(value) == "" {
			return docker.Selection{}, usageErrorf("bad --filter %q: want name=GLOB or label=SELECTOR", f)
		}
		switch key {
		case "name":
			names = append(names, value)
		case "label":
			labels = append(labels, value)
		default:
			return docker.Selection{}, usageErrorf("unsupported --filter %q: dockwatch filters on name=GLOB and label=SELECTOR", key)
		}
	}
	sel, err := docker.ParseSelection(names, nil, strings.Join(labels, ","), all)
	if err != nil {
		return docker.Selection{}, usageErrorf("bad --filter: %w", err)
	}
	return sel, nil
}
