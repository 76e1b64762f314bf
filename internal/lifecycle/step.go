package lifecycle

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dockwatch/dockwatch/internal/eventlog"
)

const (
	// killGrace is how long after a person's kill the death it causes is
	// still theirs: docker stop waits 10 s by default, --time can stretch it.
	killGrace = 5 * time.Minute
	// oomGrace is how long after an oom event a death is the OOM kill's.
	oomGrace = time.Minute
	// sameExit is the slack allowed between two times of one exit: before
	// inspect's FinishedAt for its die event, and past LastExit for a die
	// already handled.
	sameExit = 250 * time.Millisecond
	// dieLogLag is how long after an exit (inspect's FinishedAt, taken from
	// containerd) the daemon may log its die event: Engine 20.10 first waits
	// up to 2 s for the container's log streams, and a loaded machine adds
	// to that. An OOM kill's oom event, when the daemon logs it after the
	// die, is looked for as long after the die (and before the next start).
	dieLogLag = 5 * time.Second
	// stopAfterDie is how soon after a death docker stop's stop event
	// follows it.
	stopAfterDie = time.Second
)

// stopSignals are the signals a person's docker stop, kill or rm sends
// (by number, as the daemon's kill event carries them; "" when the event
// has none): TERM and KILL, and INT and QUIT, the usual STOPSIGNALs. Any
// other signal (HUP to reload, USR1...) makes the death a person's only
// when it was that signal's (exit code 128+signal), or docker stop's.
var stopSignals = map[string]bool{"": true, "2": true, "3": true, "9": true, "15": true}

// Step applies one poll's events and inspect answers to the marks.
func Step(in Input) Result {
	s := newStepper(in)
	for _, ev := range in.Events {
		s.event(ev)
	}
	for _, id := range sortedKeys(in.Observed) {
		s.observe(s.mark(id, in.Observed[id].Name), in.Observed[id])
	}
	for _, m := range s.marks {
		s.checkLoop(m)
	}
	return Result{Marks: s.keep(), Transitions: s.out}
}

// stepper holds one Step's working state.
type stepper struct {
	in    Input
	cfg   Config
	marks map[string]*Mark
	out   []Transition
	// stops, ooms and startEvents are the times of this poll's stop, oom
	// and start events, by container.
	stops, ooms, startEvents map[string][]time.Time
}

func newStepper(in Input) *stepper {
	s := &stepper{in: in, cfg: withDefaults(in.Config), marks: map[string]*Mark{},
		stops: map[string][]time.Time{}, ooms: map[string][]time.Time{}, startEvents: map[string][]time.Time{}}
	for _, m := range in.Marks {
		m.Restarts = slices.Clone(m.Restarts)
		s.marks[m.ID] = &m
	}
	for _, ev := range in.Events {
		switch ev.Action {
		case eventlog.ActionStop:
			s.stops[ev.ContainerID] = append(s.stops[ev.ContainerID], ev.Time)
		case eventlog.ActionOOM:
			s.ooms[ev.ContainerID] = append(s.ooms[ev.ContainerID], ev.Time)
		case eventlog.ActionStart:
			s.startEvents[ev.ContainerID] = append(s.startEvents[ev.ContainerID], ev.Time)
		}
	}
	return s
}

// withDefaults fills the zero restart-loop settings.
func withDefaults(c Config) Config {
	if c.RestartLoopCount <= 0 {
		c.RestartLoopCount = DefaultRestartLoopCount
	}
	c.RestartLoopCount = min(c.RestartLoopCount, MaxRestartLoopCount)
	if c.RestartLoopWindow <= 0 {
		c.RestartLoopWindow = DefaultRestartLoopWindow
	}
	return c
}

// mark returns the container's mark, creating an unknown one.
func (s *stepper) mark(id, name string) *Mark {
	m, ok := s.marks[id]
	if !ok {
		m = &Mark{ID: id, RestartCount: -1}
		s.marks[id] = m
	}
	if name != "" {
		m.Name = name
	}
	m.Seen = s.in.Now
	return m
}

// event applies one event from the daemon's log.
func (s *stepper) event(ev eventlog.Event) {
	m := s.mark(ev.ContainerID, ev.Name)
	switch ev.Action {
	case eventlog.ActionCreate:
		m.RestartCount = max(m.RestartCount, 0) // a new container starts from 0
	case eventlog.ActionKill:
		m.KillAt, m.KillSignal = ev.Time, ev.Signal
	case eventlog.ActionOOM:
		s.oom(m, ev.Time, false)
	case eventlog.ActionDie:
		code, _ := strconv.Atoi(ev.ExitCode)
		s.die(m, ev.Time, code)
	case eventlog.ActionStart:
		if !m.userStop && !m.LastExit.IsZero() {
			m.starts = append(m.starts, ev.Time)
		}
		m.userStop = false
	case eventlog.ActionHealthStatus:
		s.health(m, ev.Detail, s.in.Observed[m.ID].HealthOutput)
	case eventlog.ActionDestroy:
		s.destroyed(m)
	}
}

// oom reports an OOM kill, unless the same episode was already reported.
func (s *stepper) oom(m *Mark, at time.Time, reconstructed bool) {
	if !m.OOMAt.IsZero() && at.Sub(m.OOMAt) < oomGrace {
		return // the kernel often kills more than one process
	}
	m.OOMAt = at
	m.OOMKills++
	s.crash(m, OOMKilled, at, 137, reconstructed)
}

// die classifies a death: an OOM kill's (already reported), a person's
// (stop, kill, rm: nothing), a clean exit (nothing) or a crash.
func (s *stepper) die(m *Mark, at time.Time, code int) {
	if !at.After(m.LastExit.Add(sameExit)) {
		return // inspect already accounted for it
	}
	m.LastExit, m.LastExitCode = at, code
	byOOM := !m.OOMAt.IsZero() && !at.Before(m.OOMAt) && at.Sub(m.OOMAt) < oomGrace
	if oomAt, late := s.lateOOM(m, at); !byOOM && late {
		s.oom(m, oomAt, false)
		byOOM = true
	}
	byUser := s.byPerson(m, at, code)
	m.KillAt, m.KillSignal, m.userStop = time.Time{}, "", byUser && !byOOM
	if !byOOM && !byUser && code != 0 {
		s.crash(m, Exited, at, code, false)
	}
}

// lateOOM finds the OOM kill of a death at `at` that the daemon logged
// after the die: an oom event later in this poll's window, before the
// container started again, or inspect already showing OOMKilled for this
// exit.
func (s *stepper) lateOOM(m *Mark, at time.Time) (time.Time, bool) {
	for _, t := range s.ooms[m.ID] {
		startedSince := func(start time.Time) bool { return start.After(at) && !start.After(t) }
		if !t.Before(at) && t.Sub(at) <= dieLogLag && !slices.ContainsFunc(s.startEvents[m.ID], startedSince) {
			return t, true
		}
	}
	if obs := s.in.Observed[m.ID]; obs.OOMKilled && isItsDie(obs.FinishedAt, at) {
		return at, true
	}
	return time.Time{}, false
}

// isItsDie tells whether a die event at `die` is the one of the exit that
// finished at `finished`: logged at most dieLogLag after it (and no more
// than sameExit before it).
func isItsDie(finished, die time.Time) bool {
	return !finished.IsZero() && !die.Before(finished.Add(-sameExit)) && die.Sub(finished) <= dieLogLag
}

// byPerson tells whether a death at `at` with code was asked for: a stop
// signal shortly before it, or another signal that was its cause, or
// docker stop's stop event right after it.
func (s *stepper) byPerson(m *Mark, at time.Time, code int) bool {
	if !m.KillAt.IsZero() && !at.Before(m.KillAt) && at.Sub(m.KillAt) < killGrace {
		if stopSignals[m.KillSignal] || strconv.Itoa(code-128) == m.KillSignal {
			return true
		}
	}
	for _, t := range s.stops[m.ID] {
		if !t.Before(at) && t.Sub(at) <= stopAfterDie {
			return true
		}
	}
	return false
}

// crash reports an OOM kill or crash exit, folding the repeats of a
// restarting container into the episode: while a restart loop is open, or
// when one of the same kind was reported within the window and Docker has
// restarted the container since.
func (s *stepper) crash(m *Mark, kind Kind, at time.Time, code int, reconstructed bool) {
	enabled := (kind == OOMKilled && s.cfg.OOMKilled) || (kind == Exited && s.cfg.Exited)
	folded := !m.LoopSince.IsZero() ||
		(m.LastReportKind == kind && at.Sub(m.LastReport) < s.cfg.RestartLoopWindow &&
			(m.LastRestart.After(m.LastReport) || len(m.starts) > 0))
	if !enabled || folded {
		return
	}
	m.LastReport, m.LastReportKind = at, kind
	obs := s.in.Observed[m.ID]
	s.out = append(s.out, Transition{Kind: kind, ContainerID: m.ID, Name: m.Name, At: at, ExitCode: code,
		MemoryLimitBytes: obs.MemoryLimitBytes, RestartCount: max(obs.RestartCount, m.RestartCount, 0), Reconstructed: reconstructed})
}

// health applies a health status; a change to unhealthy, or from
// unhealthy to healthy, is reported.
func (s *stepper) health(m *Mark, status, output string) {
	if status == "" || status == m.Health {
		return
	}
	prev := m.Health
	m.Health = status
	if !s.cfg.Health {
		return
	}
	t := Transition{ContainerID: m.ID, Name: m.Name, At: s.in.Now, Status: status, HealthOutput: cutOutput(output)}
	switch {
	case status == "unhealthy":
		t.Kind = Unhealthy
	case status == "healthy" && prev == "unhealthy":
		t.Kind = Healthy
	default:
		return
	}
	s.out = append(s.out, t)
}

// destroyed forgets a removed container. An open restart loop is not
// resolved: the container never ran for a window without restarting.
func (s *stepper) destroyed(m *Mark) {
	delete(s.marks, m.ID)
}

// cutOutput trims a probe's output to one line of at most MaxOutputBytes,
// cut on a character boundary.
func cutOutput(out string) string {
	out = strings.Join(strings.Fields(out), " ")
	if len(out) <= MaxOutputBytes {
		return out
	}
	cut := MaxOutputBytes - len("...")
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return out[:cut] + "..."
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
