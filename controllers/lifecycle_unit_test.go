package controllers

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/eventlog"
	"github.com/dockwatch/dockwatch/internal/lifecycle"
)

func TestEventWindowEndsBehindThePoll(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	until := now.Add(-eventLogSettle)
	tests := []struct {
		name      string
		cursor    time.Time
		wantSince time.Time
	}{
		{"a host never watched starts at the window's end", time.Time{}, until},
		{"a cursor resumes where the last window ended", now.Add(-7 * time.Second), now.Add(-7 * time.Second)},
		{"a cursor past the window's end waits for it", now.Add(-time.Second), until},
		{"a cursor from the future (clock skew) waits too", now.Add(time.Hour), until},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since, gotUntil := eventWindow(tt.cursor, now)
			if !since.Equal(tt.wantSince) || !gotUntil.Equal(until) {
				t.Errorf("eventWindow = [%v, %v], want [%v, %v]", since, gotUntil, tt.wantSince, until)
			}
		})
	}
}

func TestNextCursorResumesAfterACutRead(t *testing.T) {
	since, until := time.Unix(100, 0), time.Unix(130, 0)
	last := time.Unix(110, 5)
	tests := []struct {
		name string
		read eventlog.Result
		want time.Time
	}{
		{"a complete read moves to until", eventlog.Result{Last: last}, until},
		{"a daemon ignoring until was read up to until", eventlog.Result{Cut: eventlog.CutUntil, Last: last}, until},
		{"a read cut at the event bound resumes after its last event", eventlog.Result{Cut: eventlog.CutMaxEvents, Last: last}, last.Add(time.Nanosecond)},
		{"a read cut at the byte bound resumes after its last event", eventlog.Result{Cut: eventlog.CutMaxBytes, Last: last}, last.Add(time.Nanosecond)},
		{"a broken read without events starts over", eventlog.Result{Cut: eventlog.CutError}, since},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextCursor(since, until, tt.read); !got.Equal(tt.want) {
				t.Errorf("nextCursor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLifecycleStatusRoundTripsTheMarksAndStaysBounded(t *testing.T) {
	now := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	var marks []lifecycle.Mark
	for i := range 150 {
		marks = append(marks, lifecycle.Mark{ID: fmt.Sprintf("c%03d", i), RestartCount: i, Seen: now.Add(-time.Duration(i) * time.Second)})
	}
	marks[149].LoopSince, marks[149].LastRestart = now, now
	marks[149].Restarts = []time.Time{now.Add(-2 * time.Second), now}
	marks[148].Health = "unhealthy"
	cursor := now.Add(123456 * time.Microsecond)
	exit, oom, kill := now.Add(-1500*time.Microsecond), now.Add(-2500*time.Microsecond), now.Add(-3500*time.Microsecond)
	marks[149].LastExit, marks[149].OOMAt, marks[149].KillAt, marks[149].KillSignal = exit, oom, kill, "9"
	marks[148].KillAt, marks[148].KillSignal = kill, strings.Repeat("x", maxKillSignalBytes+1)

	st := lifecycleStatus(cursor, eventlog.Result{Cut: eventlog.CutMaxEvents, Malformed: 2}, marks)
	if len(st.Containers) != maxLifecycleMarksInStatus || st.ContainersOmitted != 50 || st.EventsCut != "MaxEvents" || st.EventsMalformed != 2 {
		t.Fatalf("status holds %d marks, %d omitted, cut %q; want %d, 50, MaxEvents", len(st.Containers), st.ContainersOmitted, st.EventsCut, maxLifecycleMarksInStatus)
	}
	if st.Containers[0].ID != "c149" || st.Containers[1].ID != "c148" {
		t.Errorf("first marks %s, %s; want the open loop, then the unhealthy one", st.Containers[0].ID, st.Containers[1].ID)
	}

	raw, err := json.Marshal(st) // as the API server stores it
	if err != nil {
		t.Fatal(err)
	}
	var stored dockwatchv1.LifecycleStatus
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	host := &dockwatchv1.DockerHost{Status: dockwatchv1.DockerHostStatus{Lifecycle: &stored}}
	kept := lifecycleFromStatus(host)
	if !kept.cursor.Equal(cursor) {
		t.Errorf("cursor = %v, want %v (microseconds kept)", kept.cursor, cursor)
	}
	rebuilt := kept.marks.Marks()
	loop := rebuilt[0]
	if !loop.LoopSince.Equal(now) || len(loop.Restarts) != 2 || loop.RestartCount != 149 || rebuilt[1].Health != "unhealthy" {
		t.Errorf("rebuilt marks %+v, %+v; want the loop and the health back", loop, rebuilt[1])
	}
	if !loop.LastExit.Equal(exit) || !loop.OOMAt.Equal(oom) || !loop.KillAt.Equal(kill) || loop.KillSignal != "9" {
		t.Errorf("rebuilt exit %v, oom %v, kill %v %q; want %v, %v, %v \"9\" (microseconds kept)", loop.LastExit, loop.OOMAt, loop.KillAt, loop.KillSignal, exit, oom, kill)
	}
	if sig := st.Containers[1].KillSignal; sig != "" {
		t.Errorf("a %d-byte kill signal was written as %q; want it left out (MaxLength %d)", len(marks[148].KillSignal), sig, maxKillSignalBytes)
	}
}

func TestWatchedOnlyKeepsTheSelectedContainers(t *testing.T) {
	sel := docker.Selection{Include: []string{"web-*"}}
	states := map[string]docker.ContainerState{
		"w1": {ID: "w1", Name: "web-1"},
		"db": {ID: "db", Name: "db"},
		"w2": {ID: "w2", Name: "web-2", Labels: map[string]string{dockwatchv1.LabelIgnore: "true"}},
	}
	events := []eventlog.Event{
		{Action: "die", ContainerID: "w1", Name: "web-1"},
		{Action: "die", ContainerID: "db", Name: "db"},
		{Action: "die", ContainerID: "w2", Name: "web-2"},
		{Action: "die", ContainerID: "gone-web", Name: "web-tmp"}, // docker run --rm: no inspect
		{Action: "die", ContainerID: "gone-db", Name: "db-tmp"},
		{Action: "die", ContainerID: "known", Name: "renamed"}, // watched before
	}
	kept, observed := watchedOnly(events, states, []lifecycle.Mark{{ID: "known"}}, sel)
	var ids []string
	for _, ev := range kept {
		ids = append(ids, ev.ContainerID)
	}
	if fmt.Sprint(ids) != "[w1 gone-web known]" || len(observed) != 1 {
		t.Errorf("kept events of %v and %d observed, want [w1 gone-web known] and 1", ids, len(observed))
	}
}

func TestAnnotateContainersCopiesTheMarksIntoStatus(t *testing.T) {
	host := &dockwatchv1.DockerHost{Status: dockwatchv1.DockerHostStatus{
		Summary:    &dockwatchv1.HostSummary{},
		Containers: []dockwatchv1.ContainerUsage{{ID: "a", Name: "a"}, {ID: "b", Name: "b"}},
	}}
	annotateContainers(host, []lifecycle.Mark{
		{ID: "a", Health: "unhealthy", RestartCount: 4, LastExitCode: 1, OOMKills: 2, LoopSince: time.Now()},
		{ID: "gone", Health: "unhealthy"},
	})
	a := host.Status.Containers[0]
	if a.Health != "unhealthy" || a.RestartCount != 4 || a.LastExitCode != 1 || a.OOMKills != 2 || host.Status.Containers[1].Health != "" {
		t.Errorf("containers = %+v", host.Status.Containers)
	}
	if s := host.Status.Summary; s.ContainersUnhealthy != 2 || s.ContainersRestarting != 1 {
		t.Errorf("summary = %+v, want 2 unhealthy, 1 restarting", s)
	}
}

// A container whose exit awaits its die is inspected on the next poll even
// when no event names it: if the die never comes, inspect is all that
// reports the exit.
func TestInspectTargetsIncludeExitsAwaitingTheirDie(t *testing.T) {
	until := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	res := lifecycle.Step(lifecycle.Input{
		Now: until, Horizon: until.Add(-30 * time.Second), EventsUntil: until,
		Listed: map[string]bool{"late": true, "quiet": true},
		Observed: map[string]lifecycle.Observed{
			"late":  {ID: "late", Name: "late", Status: "exited", ExitCode: 7, FinishedAt: until.Add(-time.Second)},
			"quiet": {ID: "quiet", Name: "quiet", Status: "running", Running: true},
		},
		Config: lifecycle.Config{Exited: true},
	})
	got := inspectTargets(nil, &docker.Snapshot{}, res.Marks, false)
	if fmt.Sprint(got) != "[late]" {
		t.Errorf("inspectTargets = %v, want [late]: the exit 1 s before the window's end awaits its die", got)
	}
}
