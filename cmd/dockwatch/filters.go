package main

import (
	"fmt"
	"strings"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// globChars are the characters that make a name filter a glob.
const globChars = "*?["

// parseFilters turns --filter values into a Selection, as docker combines
// them: several name= filters match any of the names, several label=
// filters must all hold. A name value matches names containing it, as
// docker's name filter does; a value with glob characters is a glob on the
// whole name without its slash ("web-*"). Labels use the label-selector
// syntax ("env=prod", "tier in (web,api)", "!debug"), a superset of
// docker's label=KEY[=VALUE].
func parseFilters(filters []string, all bool) (docker.Selection, error) {
	var names, labels []string
	for _, f := range filters {
		key, value, ok := strings.Cut(f, "=")
		key = strings.TrimSpace(key)
		if !ok || strings.TrimSpace(value) == "" {
			return docker.Selection{}, usageErrorf("bad --filter %q: want name=VALUE or label=SELECTOR", f)
		}
		switch key {
		case "name":
			names = append(names, nameGlob(value))
		case "label":
			labels = append(labels, value)
		default:
			return docker.Selection{}, usageErrorf("unsupported --filter %q: dockwatch filters on name=VALUE and label=SELECTOR", key)
		}
	}
	sel, err := docker.ParseSelection(names, nil, strings.Join(labels, ","), all)
	if err != nil {
		return docker.Selection{}, usageErrorf("bad --filter: %w", err)
	}
	return sel, nil
}

// nameGlob is the glob a name filter value stands for: itself when it has
// glob characters, else "*value*" (docker's substring match).
func nameGlob(value string) string {
	if strings.ContainsAny(value, globChars) {
		return value
	}
	return "*" + value + "*"
}

// pickContainers keeps the containers named on the command line, in the
// order given, as `docker stats NAME...` does: each argument is a container
// name (with or without its slash) or a prefix of its ID. No arguments
// keeps everything; an argument that matches nothing is an error, with
// docker's words.
func pickContainers(all []docker.ContainerStats, args []string) ([]docker.ContainerStats, error) {
	if len(args) == 0 {
		return all, nil
	}
	picked := make([]docker.ContainerStats, 0, len(args))
	seen := map[string]bool{}
	for _, arg := range args {
		c, err := findContainer(all, arg)
		if err != nil {
			return nil, err
		}
		if !seen[c.ID] {
			seen[c.ID] = true
			picked = append(picked, c)
		}
	}
	return picked, nil
}

// findContainer resolves one argument: an exact name first, then a unique
// ID prefix.
func findContainer(all []docker.ContainerStats, arg string) (docker.ContainerStats, error) {
	name := strings.TrimPrefix(arg, "/")
	for _, c := range all {
		if c.Name == name || c.ID == arg {
			return c, nil
		}
	}
	var found []docker.ContainerStats
	for _, c := range all {
		if strings.HasPrefix(c.ID, arg) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return docker.ContainerStats{}, fmt.Errorf("no such container: %s (not running, or excluded by --filter; add -a for stopped ones)", arg)
	}
	return docker.ContainerStats{}, fmt.Errorf("container ID prefix %s is ambiguous: it matches %d containers", arg, len(found))
}
