package controllers

import (
	"cmp"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/eventlog"
	"github.com/dockwatch/dockwatch/internal/lifecycle"
)

// lifecycleSpec is the host's spec.lifecycle, or the defaults for objects
// created before it existed.
func lifecycleSpec(host *dockwatchv1.DockerHost) dockwatchv1.LifecycleSpec {
	if host.Spec.Lifecycle == nil {
		return dockwatchv1.LifecycleSpec{}
	}
	return *host.Spec.Lifecycle
}

// isOn reads an on-by-default switch.
func isOn(b *bool) bool { return b == nil || *b }

// lifecycleConfig converts spec.lifecycle for the episode logic; zero
// values take its defaults.
func lifecycleConfig(host *dockwatchv1.DockerHost) lifecycle.Config {
	s := lifecycleSpec(host)
	cfg := lifecycle.Config{
		OOMKilled: isOn(s.OOMKilled), Exited: isOn(s.Exited), RestartLoop: isOn(s.RestartLoop), Health: isOn(s.Health),
		RestartLoopCount: int(s.RestartLoopCount),
	}
	if s.RestartLoopWindow != nil {
		cfg.RestartLoopWindow = s.RestartLoopWindow.Duration
	}
	return cfg
}

// lifecycleFromStatus rebuilds a host's lifecycle memory from status: the
// cursor, and the marks that tell what was already reported.
func lifecycleFromStatus(host *dockwatchv1.DockerHost) hostLifecycle {
	kept := hostLifecycle{uid: host.UID}
	st := host.Status.Lifecycle
	if st == nil {
		return kept
	}
	if st.EventsSince != nil {
		kept.cursor = st.EventsSince.Time
	}
	kept.marks = lifecycle.Keep(marksFromStatus(st.Containers, kept.cursor))
	return kept
}

// marksFromStatus is the marks status.lifecycle.containers lists, seen last
// at the cursor.
func marksFromStatus(list []dockwatchv1.ContainerLifecycle, cursor time.Time) []lifecycle.Mark {
	var marks []lifecycle.Mark
	for _, c := range list {
		m := lifecycle.Mark{
			ID: c.ID, Name: c.Name, RestartCount: int(c.RestartCount), Health: c.Health,
			LastExitCode: int(c.LastExitCode), OOMKills: int(c.OOMKills), LastReportKind: lifecycle.Kind(c.LastReportReason),
			LastRestart: timeOf(c.LastRestart), LoopSince: timeOf(c.RestartLoopSince), LastReport: timeOf(c.LastReport),
			LastExit: microOf(c.LastExit), OOMAt: microOf(c.OOMKilledAt), KillAt: microOf(c.KilledAt), KillSignal: c.KillSignal,
			Seen: cursor,
		}
		for _, t := range c.Restarts {
			m.Restarts = append(m.Restarts, t.Time)
		}
		marks = append(marks, m)
	}
	return marks
}

// lifecycleStatus is status.lifecycle: the cursor, what cut the last read,
// and the marks, open episodes and the most recently seen first, bounded.
func lifecycleStatus(cursor time.Time, read eventlog.Result, marks []lifecycle.Mark) *dockwatchv1.LifecycleStatus {
	st := &dockwatchv1.LifecycleStatus{
		EventsSince:     &metav1.MicroTime{Time: cursor},
		EventsCut:       string(read.Cut),
		EventsMalformed: int32(min(read.Malformed, 1<<30)),
	}
	st.Containers = statusMarks(marks)
	st.ContainersOmitted = int32(len(marks) - len(st.Containers))
	return st
}

// statusMarks is status.lifecycle.containers for marks: open episodes and
// the most recently seen first, bounded. The same marks always give the
// same list, so the list a poll wrote can be rebuilt from its marks.
func statusMarks(marks []lifecycle.Mark) []dockwatchv1.ContainerLifecycle {
	ordered := slices.Clone(marks)
	slices.SortStableFunc(ordered, func(a, b lifecycle.Mark) int {
		return cmp.Or(cmp.Compare(openRank(a), openRank(b)), b.Seen.Compare(a.Seen), cmp.Compare(a.ID, b.ID))
	})
	kept := ordered[:min(len(ordered), maxLifecycleMarksInStatus)]
	if len(kept) == 0 {
		return nil
	}
	list := make([]dockwatchv1.ContainerLifecycle, 0, len(kept))
	for _, m := range kept {
		c := dockwatchv1.ContainerLifecycle{
			ID: m.ID, Name: m.Name, RestartCount: int32(max(m.RestartCount, 0)), Health: m.Health,
			LastExitCode: int32(m.LastExitCode), OOMKills: int32(m.OOMKills), LastReportReason: string(m.LastReportKind),
			LastRestart: metaTime(m.LastRestart), RestartLoopSince: metaTime(m.LoopSince), LastReport: metaTime(m.LastReport),
			LastExit: microTime(m.LastExit), OOMKilledAt: microTime(m.OOMAt), KilledAt: microTime(m.KillAt),
		}
		if !m.KillAt.IsZero() && len(m.KillSignal) <= maxKillSignalBytes {
			c.KillSignal = m.KillSignal // a longer one is no signal's name: the kill then explains no death
		}
		for _, t := range m.Restarts {
			c.Restarts = append(c.Restarts, metav1.Time{Time: t})
		}
		list = append(list, c)
	}
	return list
}

// openRank puts marks with an open episode first: they must survive a restart.
func openRank(m lifecycle.Mark) int {
	switch {
	case !m.LoopSince.IsZero():
		return 0
	case m.Health == "unhealthy":
		return 1
	case len(m.Restarts) > 0:
		return 2
	}
	return 3
}

// annotateContainers copies what the lifecycle alerts know into the
// containers listed in status, and counts the unhealthy and restarting.
func annotateContainers(host *dockwatchv1.DockerHost, marks []lifecycle.Mark) {
	byID := make(map[string]lifecycle.Mark, len(marks))
	var unhealthy, restarting int32
	for _, m := range marks {
		byID[m.ID] = m
		if m.Health == "unhealthy" {
			unhealthy++
		}
		if !m.LoopSince.IsZero() {
			restarting++
		}
	}
	for i := range host.Status.Containers {
		c := &host.Status.Containers[i]
		if m, ok := byID[c.ID]; ok {
			c.RestartCount, c.Health = int32(max(m.RestartCount, 0)), m.Health
			c.LastExitCode, c.OOMKills = int32(m.LastExitCode), int32(m.OOMKills)
		}
	}
	if host.Status.Summary != nil {
		host.Status.Summary.ContainersUnhealthy, host.Status.Summary.ContainersRestarting = unhealthy, restarting
	}
}

func timeOf(t *metav1.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func metaTime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	return &metav1.Time{Time: t}
}

// microOf and microTime are timeOf and metaTime for the times compared
// with event times, which need more than a second's precision.
func microOf(t *metav1.MicroTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func microTime(t time.Time) *metav1.MicroTime {
	if t.IsZero() {
		return nil
	}
	return &metav1.MicroTime{Time: t}
}
