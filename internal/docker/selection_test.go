package docker

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestParseSelectionRejectsBadInput(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		labels           string
		wantInError      string
		wantBadPattern   bool
	}{
		{name: "unclosed bracket in include", include: []string{"web-["}, wantInError: `include pattern "web-["`, wantBadPattern: true},
		{name: "dangling escape in exclude", exclude: []string{`db\`}, wantInError: `exclude pattern "db\\"`, wantBadPattern: true},
		{name: "empty pattern", include: []string{"web-*", ""}, wantInError: "include pattern 2 is empty"},
		{name: "label selector syntax", labels: "tier in (web", wantInError: `label selector "tier in (web"`},
		{name: "label selector operator", labels: "tier===web", wantInError: "label selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSelection(tt.include, tt.exclude, tt.labels, false)
			if err == nil {
				t.Fatal("ParseSelection accepted bad input")
			}
			if !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("error %q does not contain %q", err, tt.wantInError)
			}
			if tt.wantBadPattern && !errors.Is(err, path.ErrBadPattern) {
				t.Errorf("error %v does not wrap path.ErrBadPattern", err)
			}
		})
	}
}

func TestSelectionMatches(t *testing.T) {
	web := map[string]string{"tier": "web", "team": "shop"}
	db := map[string]string{"tier": "db"}
	tests := []struct {
		name             string
		include, exclude []string
		labels           string
		container        string
		containerLabels  map[string]string
		want             bool
	}{
		{name: "empty selection takes everything", container: "anything", want: true},
		{name: "leading slash is ignored", include: []string{"web-*"}, container: "/web-1", want: true},
		{name: "include glob matches", include: []string{"web-*"}, container: "web-1", want: true},
		{name: "include glob misses", include: []string{"web-*"}, container: "db", want: false},
		{name: "any include suffices", include: []string{"web-*", "db"}, container: "db", want: true},
		{name: "character class", include: []string{"web-[0-9]"}, container: "web-7", want: true},
		{name: "glob is anchored", include: []string{"web"}, container: "web-1", want: false},
		{name: "exclude wins over include", include: []string{"*"}, exclude: []string{"*-canary"}, container: "web-canary", want: false},
		{name: "exclude alone", exclude: []string{"db"}, container: "web-1", want: true},
		{name: "label equality", labels: "tier=web", container: "x", containerLabels: web, want: true},
		{name: "label equality misses", labels: "tier=web", container: "x", containerLabels: db, want: false},
		{name: "label set", labels: "tier in (web,db)", container: "x", containerLabels: db, want: true},
		{name: "label exists", labels: "team", container: "x", containerLabels: db, want: false},
		{name: "label does not exist", labels: "!team", container: "x", containerLabels: db, want: true},
		{name: "no labels on container", labels: "tier!=db", container: "x", want: true},
		{name: "globs and labels both apply", include: []string{"web-*"}, labels: "tier=web", container: "web-1", containerLabels: db, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := ParseSelection(tt.include, tt.exclude, tt.labels, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := sel.Matches(tt.container, tt.containerLabels); got != tt.want {
				t.Errorf("Matches(%q, %v) = %v, want %v", tt.container, tt.containerLabels, got, tt.want)
			}
		})
	}
}

func TestSelectionWithBadGlobBuiltByHandMatchesNothing(t *testing.T) {
	sel := Selection{Include: []string{"["}}
	if sel.Matches("[", nil) {
		t.Error("a malformed include glob matched")
	}
}

func TestParseSelectionKeepsAllAndNilLabels(t *testing.T) {
	sel, err := ParseSelection(nil, nil, "  ", true)
	if err != nil || !sel.All || sel.Labels != nil {
		t.Errorf("ParseSelection = %+v, %v; want All and nil Labels", sel, err)
	}
}
