package lifecycle

import (
	"slices"
	"time"
)

// observe reconciles a mark with inspect's answer: restarts counted by
// Docker, health, and an exit the event log did not have (it fell out of
// the daemon's buffer while the manager was down, or the read was cut).
func (s *stepper) observe(m *Mark, o Observed) {
	s.reconstructExit(m, o)
	s.countRestarts(m, o)
	if o.Health != m.Health && o.Health != "" {
		s.health(m, o.Health, o.HealthOutput)
	}
}

// reconstructExit reports the last exit from inspect when no die event
// accounted for it (it fell out of the daemon's buffer, or lies past a cut
// read). An exit within dieLogLag of the window's end is left to the next
// poll, whose window its late die falls into: live exits are judged by
// their die, and only a die that never came leaves them to inspect. Such a
// mark AwaitsDie, so that the next poll inspects it even when no event
// names it.
// Without the event log a person's stop cannot be told from a crash, so
// 143 and 137 (SIGTERM and SIGKILL, what docker stop sends) are taken as a
// person's unless the kernel's OOM killer was the cause.
func (s *stepper) reconstructExit(m *Mark, o Observed) {
	f := o.FinishedAt
	settled := s.in.EventsUntil.Add(-dieLogLag) // exits after it may still get their die
	unjudged := !f.IsZero() && f.After(s.judgedUntil()) && f.After(m.LastExit.Add(sameExit))
	m.awaitingDie = unjudged && f.After(settled)
	if !unjudged || f.After(settled) {
		if f.After(m.LastExit) && !f.After(settled) {
			m.LastExit = f
		}
		return
	}
	m.LastExit, m.LastExitCode = f, o.ExitCode
	switch {
	case o.OOMKilled:
		s.oom(m, f, true)
	case o.ExitCode != 0 && o.ExitCode != 137 && o.ExitCode != 143:
		s.crash(m, Exited, f, o.ExitCode, true)
	}
}

// judgedUntil is the time up to which an earlier poll judged the exits:
// the window's start, less the dieLogLag of exits the previous poll of
// these marks left to this one. Marks just rebuilt from status take the
// window's start: what lies before it was the writer's to judge.
func (s *stepper) judgedUntil() time.Time {
	if s.in.FromStatus {
		return s.in.Horizon
	}
	return s.in.Horizon.Add(-dieLogLag)
}

// countRestarts turns a grown RestartCount into restart times: the start
// events of this poll when there are enough, else the last start.
func (s *stepper) countRestarts(m *Mark, o Observed) {
	known := m.RestartCount
	m.RestartCount = o.RestartCount
	starts := m.starts
	m.starts = nil
	if known < 0 || o.RestartCount <= known {
		return
	}
	n := min(o.RestartCount-known, s.cfg.RestartLoopCount)
	times := starts[max(0, len(starts)-n):]
	for len(times) < n {
		times = append(times, latest(o.StartedAt, s.in.Now))
	}
	m.Restarts = append(m.Restarts, times...)
	m.LastRestart = m.Restarts[len(m.Restarts)-1]
}

// latest is t, or fallback when t is zero.
func latest(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}

// checkLoop opens a restart-loop episode at the count, and resolves an
// open one once the container has run for a whole window without a
// restart (ranForWindow). An exited container's loop stays open.
func (s *stepper) checkLoop(m *Mark) {
	window := s.cfg.RestartLoopWindow
	m.Restarts = slices.DeleteFunc(m.Restarts, func(t time.Time) bool { return s.in.Now.Sub(t) >= window })
	if n := len(m.Restarts); n > s.cfg.RestartLoopCount {
		m.Restarts = m.Restarts[n-s.cfg.RestartLoopCount:]
	}
	obs := s.in.Observed[m.ID]
	switch {
	case m.LoopSince.IsZero() && len(m.Restarts) >= s.cfg.RestartLoopCount:
		m.LoopSince = s.in.Now
		if s.cfg.RestartLoop {
			s.out = append(s.out, Transition{Kind: RestartLoop, ContainerID: m.ID, Name: m.Name, At: s.in.Now,
				RestartCount: m.RestartCount, RestartsInWindow: len(m.Restarts), Status: obs.Status})
		}
	case !m.LoopSince.IsZero() && s.ranForWindow(m) && s.in.Now.Sub(m.LoopSince) >= window:
		m.LoopSince = time.Time{}
		if s.cfg.RestartLoop {
			s.out = append(s.out, Transition{Kind: RestartLoopResolved, ContainerID: m.ID, Name: m.Name, At: s.in.Now,
				RestartCount: m.RestartCount, Status: obs.Status})
		}
	}
}

// ranForWindow tells whether inspect saw the container running this poll,
// started (by Docker or a person) a whole window ago and not restarted since.
func (s *stepper) ranForWindow(m *Mark) bool {
	obs, ok := s.in.Observed[m.ID]
	if !ok || !obs.Running {
		return false
	}
	since := m.LastRestart
	if obs.StartedAt.After(since) {
		since = obs.StartedAt
	}
	return s.in.Now.Sub(since) >= s.cfg.RestartLoopWindow
}

// keep drops the marks of containers that are gone, and of those nobody
// has heard of for a window that hold nothing open; the rest go back out.
func (s *stepper) keep() []Mark {
	out := make([]Mark, 0, len(s.marks))
	for _, id := range sortedKeys(s.marks) {
		m := s.marks[id]
		stale := !s.in.Listed[id] && s.in.Now.Sub(m.Seen) >= s.cfg.RestartLoopWindow && m.LoopSince.IsZero()
		if s.in.Gone[id] {
			continue // removed: its open loop ends with it, unresolved
		}
		if stale {
			continue
		}
		m.starts, m.userStop = nil, false
		out = append(out, *m)
	}
	return out
}
