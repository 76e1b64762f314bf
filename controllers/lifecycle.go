package controllers

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/eventlog"
	"github.com/dockwatch/dockwatch/internal/lifecycle"
)

// Bounds of the lifecycle step per poll.
const (
	// maxInspectsPerPoll bounds the containers inspected in one poll; a
	// host's first poll inspects every watched container up to it.
	maxInspectsPerPoll = 100
	// inspectConcurrency is how many inspect requests run at once.
	inspectConcurrency = 8
	// maxLifecycleMarksInStatus bounds status.lifecycle.containers.
	maxLifecycleMarksInStatus = 100
	// maxKillSignalBytes is status.lifecycle.containers[].killSignal's MaxLength.
	maxKillSignalBytes = 32
)

// LifecycleClient is the part of a Docker connection the lifecycle alerts
// use; *docker.Client has it. A HostClient without it gets no lifecycle
// alerts.
type LifecycleClient interface {
	ContainerEvents(ctx context.Context, since, until time.Time, lim eventlog.Limits) (eventlog.Result, error)
	InspectState(ctx context.Context, id string) (docker.ContainerState, error)
}

// LifecycleMemory keeps each host's event log cursor and per-container
// marks between polls. It is seeded from status.lifecycle the first time a
// host is seen, so a restarted manager resumes where the last one stopped.
type LifecycleMemory struct {
	mu    sync.Mutex
	hosts map[client.ObjectKey]hostLifecycle
}

// hostLifecycle is what LifecycleMemory keeps for one host.
type hostLifecycle struct {
	uid    types.UID
	cursor time.Time
	marks  lifecycle.Kept // unpacked for each poll; most are short between polls
	// unsaved is set when the status patch that carried these marks
	// failed: the server may hold older ones.
	unsaved bool
}

// NewLifecycleMemory returns an empty memory.
func NewLifecycleMemory() *LifecycleMemory {
	return &LifecycleMemory{hosts: map[client.ObjectKey]hostLifecycle{}}
}

// load returns the host's memory; fresh is true when it was rebuilt from
// status (the host's first poll by this manager).
func (m *LifecycleMemory) load(host *dockwatchv1.DockerHost) (kept hostLifecycle, fresh bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if kept, ok := m.hosts[client.ObjectKeyFromObject(host)]; ok && kept.uid == host.UID {
		return kept, false
	}
	return lifecycleFromStatus(host), true
}

func (m *LifecycleMemory) store(host *dockwatchv1.DockerHost, kept hostLifecycle) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts[client.ObjectKeyFromObject(host)] = kept
}

// saved returns the marks the host's last status patch wrote, if this
// memory holds them and the status agrees it wrote last: its cursor is
// the one remembered. Another replica that polled the host meanwhile (a
// handoff and back before this one forgot it) moved the cursor.
func (m *LifecycleMemory) saved(host *dockwatchv1.DockerHost) ([]lifecycle.Mark, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept, ok := m.hosts[client.ObjectKeyFromObject(host)]
	st := host.Status.Lifecycle
	ours := st != nil && st.EventsSince != nil &&
		st.EventsSince.Truncate(time.Microsecond).Equal(kept.cursor.Truncate(time.Microsecond))
	return kept.marks.Marks(), ok && kept.uid == host.UID && !kept.unsaved && ours
}

// unsaved records that the host's last status patch failed, so its marks
// may not be on the server.
func (m *LifecycleMemory) unsaved(key client.ObjectKey) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if kept, ok := m.hosts[key]; ok {
		kept.unsaved = true
		m.hosts[key] = kept
	}
}

// Forget drops a deleted host's memory.
func (m *LifecycleMemory) Forget(key client.ObjectKey) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.hosts, key)
}

// watchLifecycle reads the daemon's container events since the host's
// cursor, inspects the containers they name (every watched one on the
// host's first poll), runs the episode logic, records its memory in
// status and emits its transitions as events.
func (r *DockerHostReconciler) watchLifecycle(ctx context.Context, host *dockwatchv1.DockerHost, conn HostClient, sel docker.Selection, snap *docker.Snapshot, now time.Time) {
	lc, ok := conn.(LifecycleClient)
	if r.Lifecycle == nil || !ok || !isOn(lifecycleSpec(host).Enabled) {
		return
	}
	kept, fresh := r.Lifecycle.load(host)
	since, until := eventWindow(kept.cursor, now)
	read, err := lc.ContainerEvents(ctx, since, until, eventlog.Limits{})
	if err != nil {
		log.FromContext(ctx).Info("Cannot read the Docker event log; lifecycle alerts wait for the next poll", "error", err.Error())
		return
	}
	read = boundEvents(read) // daemon strings are cut before anything keeps them
	cursor := nextCursor(since, until, read)
	marks := kept.marks.Marks()
	states, gone := r.inspectContainers(ctx, lc, inspectTargets(read.Events, snap, marks, fresh))
	if ctx.Err() != nil {
		return // the manager is stopping: inspects it cut short would misread exits
	}
	events, observed := watchedOnly(read.Events, states, marks, sel)
	result := lifecycle.Step(lifecycle.Input{
		Now: now, Horizon: since, FromStatus: fresh, EventsUntil: cursor, Events: events, Observed: observed,
		Listed: listedIDs(snap), Gone: gone, Marks: marks, Config: lifecycleConfig(host),
	})
	r.Lifecycle.store(host, hostLifecycle{uid: host.UID, cursor: cursor, marks: lifecycle.Keep(result.Marks)})
	host.Status.Lifecycle = lifecycleStatus(cursor, read, result.Marks)
	annotateContainers(host, result.Marks)
	r.notifyLifecycle(host, snap, result.Transitions)
}

// eventLogSettle is how far behind the poll the event window ends. The
// daemon logs one happening's events a few milliseconds apart, and in
// either order (an OOM kill's die may come before its oom, and inspect
// shows OOMKilled only once the oom is handled): a window that ended
// between them would report the die alone, as a crash. Ending the window
// a little in the past reads most of them together. The episode logic
// allows for the rest: a die logged seconds after its exit, and an oom
// logged after its die (lifecycle's dieLogLag).
const eventLogSettle = 2 * time.Second

// eventWindow is the event-log window of a poll at now: from the cursor to
// eventLogSettle before now. A host never watched before starts at the
// window's end (its history is not news), as does a cursor from the future.
func eventWindow(cursor, now time.Time) (since, until time.Time) {
	until = now.Add(-eventLogSettle)
	if cursor.IsZero() || cursor.After(until) {
		return until, until
	}
	return cursor, until
}

// nextCursor is where the next read starts: the end of this window, or
// just after the last event kept when a bound cut the read (the daemon's
// `since` is inclusive).
func nextCursor(since, until time.Time, read eventlog.Result) time.Time {
	switch read.Cut {
	case eventlog.CutNone, eventlog.CutUntil:
		return until
	}
	if read.Last.IsZero() {
		return since
	}
	return read.Last.Add(time.Nanosecond)
}

// inspectTargets are the containers to inspect this poll: those the events
// name, those in an open restart loop (whose resolution says whether they
// run), those whose last exit awaits its die (judged from inspect if it
// never comes) and, on a host's first poll, every listed and remembered one.
func inspectTargets(events []eventlog.Event, snap *docker.Snapshot, marks []lifecycle.Mark, fresh bool) []string {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] && len(ids) < maxInspectsPerPoll {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, ev := range events {
		add(ev.ContainerID)
	}
	for _, m := range marks {
		if !m.LoopSince.IsZero() || m.AwaitsDie() {
			add(m.ID)
		}
	}
	if fresh {
		for _, c := range snap.Containers {
			add(c.ID)
		}
		for _, m := range marks {
			add(m.ID)
		}
	}
	return ids
}

// inspectContainers inspects ids concurrently; containers inspect no
// longer finds are gone. A container whose inspect failed otherwise is
// neither: it is tried again when it next has news.
func (r *DockerHostReconciler) inspectContainers(ctx context.Context, lc LifecycleClient, ids []string) (map[string]docker.ContainerState, map[string]bool) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		observed = map[string]docker.ContainerState{}
		gone     = map[string]bool{}
		slots    = make(chan struct{}, inspectConcurrency)
	)
	for _, id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			state, err := lc.InspectState(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				observed[id] = state
			case errors.Is(err, docker.ErrContainerGone):
				gone[id] = true
			}
		}()
	}
	wg.Wait()
	return observed, gone
}

// watchedOnly keeps the events and inspect answers of watched containers:
// those the selection matches (and not labelled dockwatch.io/ignore), and
// gone ones that were watched before.
func watchedOnly(events []eventlog.Event, states map[string]docker.ContainerState, marks []lifecycle.Mark, sel docker.Selection) ([]eventlog.Event, map[string]lifecycle.Observed) {
	known := map[string]bool{}
	for _, m := range marks {
		known[m.ID] = true
	}
	observed := map[string]lifecycle.Observed{}
	for id, s := range states {
		if sel.Matches(s.Name, s.Labels) && s.Labels[dockwatchv1.LabelIgnore] != "true" {
			observed[id] = observedFrom(s)
		}
	}
	kept := slices.DeleteFunc(slices.Clone(events), func(ev eventlog.Event) bool {
		if _, inspected := states[ev.ContainerID]; inspected {
			_, watched := observed[ev.ContainerID]
			return !watched
		}
		// Gone (docker run --rm), or inspect failed: judge by the event.
		return !known[ev.ContainerID] && !(sel.Matches(ev.Name, ev.Labels) && ev.Labels[dockwatchv1.LabelIgnore] != "true")
	})
	return kept, observed
}

// observedFrom converts an inspect answer for the episode logic, cutting
// its daemon-sourced strings as boundEvents cuts the event log's (the
// health output is cut by the episode logic).
func observedFrom(s docker.ContainerState) lifecycle.Observed {
	return lifecycle.Observed{
		ID: capKey(s.ID, maxIDLength), Name: capKey(s.Name, maxNameLength), Status: capString(s.Status, maxStateLength),
		Running: s.Running, OOMKilled: s.OOMKilled, ExitCode: s.ExitCode,
		FinishedAt: s.FinishedAt, StartedAt: s.StartedAt, RestartCount: s.RestartCount,
		Health: capString(s.Health, maxStateLength), HealthOutput: s.HealthOutput, MemoryLimitBytes: s.MemoryLimitBytes,
	}
}

// listedIDs are the containers the poll listed.
func listedIDs(snap *docker.Snapshot) map[string]bool {
	ids := make(map[string]bool, len(snap.Containers)+len(snap.Skipped))
	for _, c := range snap.Containers {
		ids[c.ID] = true
	}
	for _, s := range snap.Skipped {
		ids[s.ID] = true
	}
	return ids
}
