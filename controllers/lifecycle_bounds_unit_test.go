package controllers

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/eventlog"
	"github.com/dockwatch/dockwatch/internal/lifecycle"
)

// A daemon whose event log and inspect answers carry megabyte IDs, names
// and state words for 100 containers must still give a small
// status.lifecycle, small lifecycle memory and short event messages.
func TestMegabyteLifecycleNamesGiveASmallStatus(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	var raw eventlog.Result
	for i := range maxLifecycleMarksInStatus {
		raw.Events = append(raw.Events, eventlog.Event{
			Action: eventlog.ActionDie, Time: now.Add(-time.Second), ExitCode: "1",
			ContainerID: fmt.Sprintf("%s%03d", huge, i), Name: fmt.Sprintf("%s%03d", huge, i), Detail: huge,
		})
	}
	read := boundEvents(raw)
	states := map[string]docker.ContainerState{}
	for _, ev := range read.Events { // inspect asks for the IDs the events name
		states[ev.ContainerID] = docker.ContainerState{ID: huge + ev.ContainerID, Name: huge + ev.Name, Status: huge, Health: huge, ExitCode: 1}
	}
	events, observed := watchedOnly(read.Events, states, nil, docker.Selection{})
	result := lifecycle.Step(lifecycle.Input{Now: now, Horizon: now.Add(-time.Minute), EventsUntil: now, Events: events, Observed: observed, Config: lifecycleConfig(unitHost(1))})

	st := lifecycleStatus(now, read, result.Marks)
	encoded, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Containers) != maxLifecycleMarksInStatus || len(encoded) > 64<<10 {
		t.Fatalf("status.lifecycle holds %d marks in %d bytes, want %d in under 64 KiB", len(st.Containers), len(encoded), maxLifecycleMarksInStatus)
	}
	if len(result.Marks) != maxLifecycleMarksInStatus {
		t.Fatalf("%d marks kept, want %d: cut IDs collide or split", len(result.Marks), maxLifecycleMarksInStatus)
	}
	for _, m := range result.Marks {
		if len(m.ID) > maxIDLength || len(m.Name) > maxNameLength || len(m.Health) > maxStateLength {
			t.Fatalf("lifecycle memory keeps a %d-byte ID, %d-byte name, %d-byte health", len(m.ID), len(m.Name), len(m.Health))
		}
	}
	if len(result.Transitions) == 0 {
		t.Fatal("no transitions: the crash exits were not reported")
	}
	for _, tr := range result.Transitions {
		if msg := lifecycleMessage(unitHost(1), &docker.Snapshot{}, tr); len(msg) > 1024 {
			t.Fatalf("a lifecycle event message is %d bytes", len(msg))
		}
	}
}
