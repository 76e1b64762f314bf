package lifecycle

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/eventlog"
)

var (
	t0  = time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	all = Config{OOMKilled: true, Exited: true, RestartLoop: true, Health: true}
)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func ev(action string, sec float64, attrs ...string) eventlog.Event {
	e := eventlog.Event{Action: action, ContainerID: "c1", Name: "web", Time: at(sec)}
	if verb, detail, ok := strings.Cut(action, ": "); ok {
		e.Action, e.Detail = verb, detail
	}
	for _, a := range attrs {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "exitCode":
			e.ExitCode = v
		case "signal":
			e.Signal = v
		}
	}
	return e
}

// poll is one Step of a scenario: the clock, events and inspect answers.
type poll struct {
	now      float64
	events   []eventlog.Event
	observed *Observed
	gone     bool
}

// run feeds the polls through Step like the controller does (window from
// the previous poll to now) and returns every transition.
func run(t *testing.T, cfg Config, marks []Mark, horizon float64, polls ...poll) ([]Transition, []Mark) {
	t.Helper()
	var all []Transition
	prev := at(horizon)
	for _, p := range polls {
		in := Input{Now: at(p.now), Horizon: prev, EventsUntil: at(p.now), Events: p.events, Marks: marks,
			Listed: map[string]bool{"c1": !p.gone}, Config: cfg}
		if p.observed != nil {
			in.Observed = map[string]Observed{"c1": *p.observed}
		}
		if p.gone {
			in.Gone = map[string]bool{"c1": true}
		}
		res := Step(in)
		all = append(all, res.Transitions...)
		marks, prev = res.Marks, at(p.now)
	}
	return all, marks
}

func kinds(ts []Transition) string {
	var out []string
	for _, t := range ts {
		s := string(t.Kind)
		if t.Kind == Exited || t.Kind == OOMKilled {
			s += "(" + strconv.Itoa(t.ExitCode) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

func running(restarts int, finished float64, code int) *Observed {
	return &Observed{ID: "c1", Name: "web", Status: "running", Running: true, RestartCount: restarts,
		FinishedAt: at(finished), ExitCode: code, MemoryLimitBytes: 16 << 20}
}

func oomExited(finished float64) *Observed {
	o := exited(137, finished)
	o.OOMKilled = true
	return o
}

func exited(code int, finished float64) *Observed {
	return &Observed{ID: "c1", Name: "web", Status: "exited", ExitCode: code, FinishedAt: at(finished), MemoryLimitBytes: 16 << 20}
}

func TestStepTellsCrashesFromStopsAndOOMKills(t *testing.T) {
	tests := []struct {
		name  string
		polls []poll
		want  string
	}{{
		name:  "exit 7 nobody asked for is one ContainerExited",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("start", 1), ev("die", 2, "exitCode=7")}, observed: exited(7, 2)}},
		want:  "ContainerExited(7)",
	}, {
		name: "an OOM kill is ContainerOOMKilled, not also ContainerExited",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("oom", 2), ev("die", 2.01, "exitCode=137")},
			observed: &Observed{ID: "c1", Status: "exited", OOMKilled: true, ExitCode: 137, FinishedAt: at(2.01)}}},
		want: "ContainerOOMKilled(137)",
	}, {
		name: "an oom event the daemon logs after the die is still only ContainerOOMKilled",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("die", 2.01, "exitCode=137"), ev("oom", 2.02)},
			observed: &Observed{ID: "c1", Status: "exited", OOMKilled: true, ExitCode: 137, FinishedAt: at(2.01)}}},
		want: "ContainerOOMKilled(137)",
	}, {
		name: "an oom event that falls into the poll after its die is still only ContainerOOMKilled",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("die", 4.9, "exitCode=137")},
				observed: &Observed{ID: "c1", Status: "exited", OOMKilled: true, ExitCode: 137, FinishedAt: at(4.9)}},
			{now: 10, events: []eventlog.Event{ev("oom", 4.95)},
				observed: &Observed{ID: "c1", Status: "exited", OOMKilled: true, ExitCode: 137, FinishedAt: at(4.9)}}},
		want: "ContainerOOMKilled(137)",
	}, {
		// Engine 20.10 logs the die up to 2 s after the exit (it waits for
		// the log streams), later still on a loaded machine.
		name: "an OOM kill whose die is logged 1.5 s after the exit, the oom after it, is only ContainerOOMKilled",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("die", 3.5, "exitCode=137"), ev("oom", 3.6)},
			observed: &Observed{ID: "c1", Status: "exited", OOMKilled: true, ExitCode: 137, FinishedAt: at(2)}}},
		want: "ContainerOOMKilled(137)",
	}, {
		name: "an oom logged after its die in one window is only ContainerOOMKilled, before inspect agrees",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("die", 2.01, "exitCode=137"), ev("oom", 3)},
			observed: exited(137, 2)}},
		want: "ContainerOOMKilled(137)",
	}, {
		name: "an oom event of a later kill is not this die's",
		polls: []poll{{now: 20, events: []eventlog.Event{ev("die", 2, "exitCode=137"), ev("start", 3), ev("oom", 12)},
			observed: running(1, 2, 137)}},
		want: "ContainerExited(137),ContainerOOMKilled(137)",
	}, {
		name: "an oom after the container started again is the next kill's, not this die's",
		polls: []poll{{now: 20, events: []eventlog.Event{ev("die", 2, "exitCode=137"), ev("start", 2.5), ev("oom", 4), ev("die", 4.05, "exitCode=137")},
			observed: running(1, 4.05, 137)}},
		want: "ContainerExited(137),ContainerOOMKilled(137)",
	}, {
		name: "a crash inspect reported before its die was logged is reported once",
		polls: []poll{
			{now: 5, observed: exited(7, 4.5)},
			{now: 10, events: []eventlog.Event{ev("die", 6, "exitCode=7")}, observed: exited(7, 4.5)}},
		want: "ContainerExited(7)",
	}, {
		name: "a later crash, after the one inspect reported, is reported too",
		polls: []poll{
			{now: 5, observed: exited(7, 4.5)},
			{now: 700, events: []eventlog.Event{ev("die", 6, "exitCode=7"), ev("start", 680), ev("die", 690, "exitCode=3")}, observed: exited(3, 690)}},
		want: "ContainerExited(7),ContainerExited(3)",
	}, {
		name: "docker stop whose die is logged in the next window, then a crash 55 s later, is ContainerExited",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("kill", 4, "signal=15")}, observed: exited(143, 4.2)},
			{now: 10, events: []eventlog.Event{ev("die", 6, "exitCode=143"), ev("stop", 6)}, observed: exited(143, 4.2)},
			{now: 25, events: []eventlog.Event{ev("start", 20)}, observed: running(0, 4.2, 143)},
			{now: 65, events: []eventlog.Event{ev("die", 60, "exitCode=1")}, observed: exited(1, 60)}},
		want: "ContainerExited(1)",
	}, {
		name: "a SIGKILL not sent through docker, its die logged in the next window, is ContainerExited",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("start", 3)}, observed: exited(137, 4.5)},
			{now: 10, events: []eventlog.Event{ev("die", 6, "exitCode=137")}, observed: exited(137, 4.5)}},
		want: "ContainerExited(137)",
	}, {
		name: "an exit left for the next poll whose die never comes is reported from inspect then",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("start", 3)}, observed: exited(7, 4.5)},
			{now: 10, observed: exited(7, 4.5)}},
		want: "ContainerExited(7)",
	}, {
		name: "an exit exactly dieLogLag before the window's end is judged once, not left between two polls",
		polls: []poll{
			{now: 10, events: []eventlog.Event{ev("start", 3)}, observed: exited(7, 5)},
			{now: 20, observed: exited(7, 5)}},
		want: "ContainerExited(7)",
	}, {
		name: "an oom logged before a die that comes in the next poll is one OOM kill",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("oom", 4.8)}, observed: oomExited(4.75)},
			{now: 10, events: []eventlog.Event{ev("die", 6.9, "exitCode=137")}, observed: oomExited(4.75)}},
		want: "ContainerOOMKilled(137)",
	}, {
		name: "an oom logged before a late die, then a restart, is one OOM kill",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("oom", 4.8)}, observed: oomExited(4.75)},
			{now: 10, events: []eventlog.Event{ev("die", 6.9, "exitCode=137"), ev("start", 7)}, observed: running(1, 4.75, 137)}},
		want: "ContainerOOMKilled(137)",
	}, {
		name:  "several oom events of one kill are one episode",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("oom", 2), ev("oom", 2.1), ev("die", 2.2, "exitCode=137")}}},
		want:  "ContainerOOMKilled(137)",
	}, {
		name:  "an OOM kill of a child the container survives is still reported",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("oom", 2)}, observed: running(0, 0, 0)}},
		want:  "ContainerOOMKilled(137)",
	}, {
		name:  "docker stop (kill 15, die 143, stop) raises nothing",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=15"), ev("die", 1.2, "exitCode=143"), ev("stop", 1.2)}, observed: exited(143, 1.2)}},
		want:  "",
	}, {
		name: "docker stop past the grace period (kill 15, kill 9, die 137) raises nothing",
		polls: []poll{{now: 15, events: []eventlog.Event{ev("kill", 1, "signal=15"), ev("kill", 11, "signal=9"),
			ev("die", 11.1, "exitCode=137"), ev("stop", 11.1)}, observed: exited(137, 11.1)}},
		want: "",
	}, {
		name:  "docker rm -f (kill, die, destroy) raises nothing",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=9"), ev("die", 1.1, "exitCode=137"), ev("destroy", 1.2)}, gone: true}},
		want:  "",
	}, {
		name: "a stop whose death falls into the next poll raises nothing",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("kill", 4, "signal=15")}, observed: running(0, 0, 0)},
			{now: 10, events: []eventlog.Event{ev("die", 6, "exitCode=143"), ev("stop", 6)}, observed: exited(143, 6)}},
		want: "",
	}, {
		name:  "docker kill (kill 9, die 137, no destroy) raises nothing",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=9"), ev("die", 1.1, "exitCode=137")}, observed: exited(137, 1.1)}},
		want:  "",
	}, {
		name:  "kill -s HUP (a reload) then a crash exit 1 is ContainerExited",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=1"), ev("die", 3, "exitCode=1")}, observed: exited(1, 3)}},
		want:  "ContainerExited(1)",
	}, {
		name: "kill -s HUP, and the crash exit 1 in the next poll, is ContainerExited",
		polls: []poll{
			{now: 5, events: []eventlog.Event{ev("kill", 4, "signal=1")}, observed: running(0, 0, 0)},
			{now: 10, events: []eventlog.Event{ev("die", 8, "exitCode=1")}, observed: exited(1, 8)}},
		want: "ContainerExited(1)",
	}, {
		name:  "kill -s HUP that kills it (die 129) raises nothing",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=1"), ev("die", 1.1, "exitCode=129")}, observed: exited(129, 1.1)}},
		want:  "",
	}, {
		name:  "kill -s USR1 then exit 2 is ContainerExited",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=10"), ev("die", 2, "exitCode=2")}, observed: exited(2, 2)}},
		want:  "ContainerExited(2)",
	}, {
		name: "docker stop of an image whose STOPSIGNAL is USR1 (kill 10, die 1, stop) raises nothing",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=10"), ev("die", 1.5, "exitCode=1"), ev("stop", 1.5)},
			observed: exited(1, 1.5)}},
		want: "",
	}, {
		name:  "docker stop with STOPSIGNAL SIGQUIT (kill 3, die 1, stop) raises nothing",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("kill", 1, "signal=3"), ev("die", 1.5, "exitCode=1"), ev("stop", 1.5)}, observed: exited(1, 1.5)}},
		want:  "",
	}, {
		name:  "a clean exit 0 raises nothing",
		polls: []poll{{now: 5, events: []eventlog.Event{ev("die", 2, "exitCode=0")}, observed: exited(0, 2)}},
		want:  "",
	}, {
		name: "an exit inspect shows after the event window waits for its event, then counts once",
		polls: []poll{
			{now: 5, observed: exited(7, 5.5)},
			{now: 10, events: []eventlog.Event{ev("die", 5.5001, "exitCode=7")}, observed: exited(7, 5.5)}},
		want: "ContainerExited(7)",
	}, {
		name: "an idle container raises nothing, poll after poll",
		polls: []poll{
			{now: 5, observed: running(0, 0, 0)}, {now: 10, observed: running(0, 0, 0)}, {now: 15, observed: running(0, 0, 0)}},
		want: "",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := run(t, all, nil, 0, tt.polls...)
			if kinds(got) != tt.want {
				t.Errorf("transitions = %q, want %q", kinds(got), tt.want)
			}
		})
	}
}

// loopPolls is a --restart always container that crashes every second,
// polled every 5 s from 5 s to end: each poll sees five deaths and starts.
func loopPolls(from, end float64, restarts *int) []poll {
	var polls []poll
	for now := from; now <= end; now += 5 {
		var events []eventlog.Event
		for s := now - 4.5; s < now; s++ {
			events = append(events, ev("die", s, "exitCode=1"), ev("start", s+0.1))
			*restarts++
		}
		polls = append(polls, poll{now: now, events: events, observed: running(*restarts, now-0.5, 1)})
	}
	return polls
}

func TestStepReportsARestartLoopOncePerEpisodeAndItsResolution(t *testing.T) {
	cfg := all
	cfg.RestartLoopWindow = time.Minute
	restarts := 0
	polls := []poll{{now: 0.5, events: []eventlog.Event{ev("create", 0.1), ev("start", 0.2)}, observed: running(0, 0, 0)}}
	polls = append(polls, loopPolls(5, 60, &restarts)...)
	got, marks := run(t, cfg, nil, 0, polls...)
	if kinds(got) != "ContainerExited(1),ContainerRestartLoop" {
		t.Fatalf("while looping: %q, want one ContainerExited then one ContainerRestartLoop", kinds(got))
	}
	if got[1].RestartsInWindow != 3 || got[1].At != at(5) {
		t.Errorf("loop = %+v, want it at the first poll with 3 restarts in the window", got[1])
	}

	// Fixed at 60 s: no more restarts. Resolved only once a whole window passed.
	quiet := func(now float64) poll { return poll{now: now, observed: running(restarts, 59.5, 1)} }
	later, marks := run(t, cfg, marks, 60, quiet(90), quiet(115))
	if len(later) != 0 {
		t.Fatalf("within the window after the last restart: %q, want nothing", kinds(later))
	}
	later, marks = run(t, cfg, marks, 115, quiet(120), quiet(125), quiet(300))
	if kinds(later) != "ContainerRestartLoopResolved" {
		t.Fatalf("after a quiet window: %+v, want one ContainerRestartLoopResolved while running", later)
	}

	// A new crash after the episode is news again.
	again, _ := run(t, cfg, marks, 300, poll{now: 305, events: []eventlog.Event{ev("die", 302, "exitCode=1")}, observed: exited(1, 302)})
	if kinds(again) != "ContainerExited(1)" {
		t.Errorf("a crash after the episode: %q, want ContainerExited", kinds(again))
	}
}

func TestStepCountsRestartsOnlyWithinTheWindow(t *testing.T) {
	cfg := all
	cfg.RestartLoopWindow = time.Minute
	marks := []Mark{{ID: "c1", Name: "web", RestartCount: 0}}
	// Three restarts, each 40 s apart: never three within a minute.
	var got []Transition
	for i, now := range []float64{40, 80, 120} {
		var ts []Transition
		ts, marks = run(t, cfg, marks, now-40, poll{now: now,
			events:   []eventlog.Event{ev("die", now-1, "exitCode=0"), ev("start", now-0.9)},
			observed: running(i+1, now-1, 0)})
		got = append(got, ts...)
	}
	if len(got) != 0 {
		t.Errorf("spread restarts: %q, want nothing", kinds(got))
	}
}

func TestStepCountsRestartsFromInspectWhenTheEventsAreMissing(t *testing.T) {
	// After a manager restart the marks come from status; inspect says the
	// count grew by 5 meanwhile.
	marks := []Mark{{ID: "c1", Name: "web", RestartCount: 2}}
	got, marks := run(t, all, marks, 0, poll{now: 30, observed: running(7, 29, 0)})
	if kinds(got) != "ContainerRestartLoop" || marks[0].RestartCount != 7 {
		t.Errorf("transitions = %q, marks %+v; want one ContainerRestartLoop", kinds(got), marks)
	}
}

func TestStepReportsHealthChanges(t *testing.T) {
	unhealthy := running(0, 0, 0)
	unhealthy.Health, unhealthy.HealthOutput = "unhealthy", "probe failed:\n"+strings.Repeat("é", 400)
	got, _ := run(t, all, nil, 0,
		poll{now: 5, events: []eventlog.Event{ev("health_status: healthy", 3)}, observed: running(0, 0, 0)},
		poll{now: 10, events: []eventlog.Event{ev("health_status: unhealthy", 8)}, observed: unhealthy},
		poll{now: 15, events: []eventlog.Event{ev("health_status: unhealthy", 13)}, observed: unhealthy},
		poll{now: 20, events: []eventlog.Event{ev("health_status: healthy", 18)}, observed: running(0, 0, 0)})
	if kinds(got) != "ContainerUnhealthy,ContainerHealthy" {
		t.Fatalf("transitions = %q, want one ContainerUnhealthy then one ContainerHealthy", kinds(got))
	}
	out := got[0].HealthOutput
	if len(out) > MaxOutputBytes || !strings.HasPrefix(out, "probe failed: é") || !strings.HasSuffix(out, "...") || strings.Contains(out, "\n") {
		t.Errorf("output = %q (%d bytes), want one line cut to %d bytes", out, len(out), MaxOutputBytes)
	}
}

func TestStepAfterAManagerRestartReportsOnlyWhatHappenedMeanwhile(t *testing.T) {
	oom := &Observed{ID: "c1", Name: "web", Status: "exited", OOMKilled: true, ExitCode: 137, FinishedAt: at(50), MemoryLimitBytes: 16 << 20}
	unhealthy := &Observed{ID: "c1", Name: "web", Status: "running", Running: true, Health: "unhealthy"}
	tests := []struct {
		name    string
		marks   []Mark
		horizon float64
		obs     *Observed
		want    string
	}{
		{"an OOM kill while down, not in the event log, is reported once", nil, 40, oom, "ContainerOOMKilled(137)"},
		{"an OOM kill before the last handled poll is not reported again", nil, 60, oom, ""},
		{"a crash while down is reported", nil, 40, exited(2, 50), "ContainerExited(2)"},
		{"exit 143 while down is taken as a person's stop", nil, 40, exited(143, 50), ""},
		{"an unhealthy container already reported is not reported again", []Mark{{ID: "c1", Health: "unhealthy", RestartCount: 0}}, 40, unhealthy, ""},
		{"an unhealthy container not reported yet is", []Mark{{ID: "c1", Health: "healthy", RestartCount: 0}}, 40, unhealthy, "ContainerUnhealthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, marks := run(t, all, tt.marks, tt.horizon, poll{now: 70, observed: tt.obs})
			if kinds(got) != tt.want {
				t.Fatalf("transitions = %q, want %q", kinds(got), tt.want)
			}
			again, _ := run(t, all, marks, 70, poll{now: 75, observed: tt.obs})
			if len(again) != 0 {
				t.Errorf("next poll: %q, want nothing", kinds(again))
			}
		})
	}
}

func TestStepRaisesNothingThatIsSwitchedOff(t *testing.T) {
	unhealthy := running(0, 0, 0)
	unhealthy.Health = "unhealthy"
	got, _ := run(t, Config{}, nil, 0,
		poll{now: 5, events: []eventlog.Event{ev("oom", 1), ev("die", 1.1, "exitCode=137"), ev("die", 3, "exitCode=7")}},
		poll{now: 10, events: []eventlog.Event{ev("health_status: unhealthy", 8)}, observed: unhealthy})
	if len(got) != 0 {
		t.Errorf("transitions = %q, want nothing", kinds(got))
	}
}

// An open loop (fired at 5 s, last restart at 59.6 s, 60 s window) resolves
// only once inspect shows the container running a whole window since its
// last restart or start; staying exited, being removed or not being
// inspected is no resolution.
func TestStepResolvesARestartLoopOnlyAfterAWholeWindowRunning(t *testing.T) {
	cfg := all
	cfg.RestartLoopWindow = time.Minute
	up := func(started float64) *Observed {
		o := running(12, 59.5, 1)
		o.StartedAt = at(started)
		return o
	}
	tests := []struct {
		name  string
		polls []poll
		want  string
		open  bool
	}{
		{"running since its last restart: resolved a window later", []poll{{now: 119, observed: up(59.6)}, {now: 120, observed: up(59.6)}}, "ContainerRestartLoopResolved", false},
		{"exited since its last crash: stays open", []poll{{now: 120, observed: exited(1, 59.5)}, {now: 600, observed: exited(1, 59.5)}}, "", true},
		{"removed: the loop ends unresolved", []poll{{now: 120, events: []eventlog.Event{ev("destroy", 100)}, gone: true}}, "", false},
		{"gone without a destroy event: the loop ends unresolved", []poll{{now: 120, gone: true}}, "", false},
		{"not inspected this poll: stays open", []poll{{now: 120}}, "", true},
		{"started again by a person at 200: resolved a window after that", []poll{{now: 150, observed: exited(1, 59.5)},
			{now: 259, observed: up(200)}, {now: 260, observed: up(200)}}, "ContainerRestartLoopResolved", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marks := []Mark{{ID: "c1", Name: "web", RestartCount: 12, LoopSince: at(5), LastRestart: at(59.6), LastExit: at(59.5)}}
			got, marks := run(t, cfg, marks, 60, tt.polls...)
			if kinds(got) != tt.want {
				t.Errorf("transitions = %q, want %q", kinds(got), tt.want)
			}
			if open := len(marks) == 1 && !marks[0].LoopSince.IsZero(); open != tt.open {
				t.Errorf("loop open = %v (marks %+v), want %v", open, marks, tt.open)
			}
		})
	}
}

func TestAnExitJustBeforeTheWindowIsJudgedOnceAcrossARestart(t *testing.T) {
	// The exit at 4 s lies within dieLogLag before the window (5-10 s):
	// the poll that carried these marks left it to this one, but marks
	// rebuilt from status are another manager's, which judged it by its die.
	for _, tc := range []struct {
		fromStatus bool
		want       string
	}{{false, "ContainerExited(7)"}, {true, ""}} {
		res := Step(Input{Now: at(10), Horizon: at(5), EventsUntil: at(10), FromStatus: tc.fromStatus,
			Observed: map[string]Observed{"c1": *exited(7, 4)}, Listed: map[string]bool{"c1": true},
			Marks: []Mark{{ID: "c1", Name: "web", RestartCount: 0}}, Config: all})
		if got := kinds(res.Transitions); got != tc.want {
			t.Errorf("FromStatus %v: transitions = %q, want %q", tc.fromStatus, got, tc.want)
		}
	}
}

// An exit left to the next poll asks to be inspected then: the controller
// inspects only containers the events name, so without it an exit whose
// die never comes would go unreported.
func TestAnExitLeftForItsDieAsksToBeInspected(t *testing.T) {
	cfg := all
	_, marks := run(t, cfg, nil, 0, poll{now: 5, events: []eventlog.Event{ev("start", 3)}, observed: exited(7, 4.5)})
	if len(marks) != 1 || !marks[0].AwaitsDie() {
		t.Fatalf("after the exit at 4.5 s of a window ending at 5 s: marks %+v, want one awaiting its die", marks)
	}
	got, marks := run(t, cfg, marks, 5, poll{now: 10, events: []eventlog.Event{ev("die", 6.5, "exitCode=7")}, observed: exited(7, 4.5)})
	if kinds(got) != "ContainerExited(7)" || marks[0].AwaitsDie() {
		t.Errorf("its late die: %s, awaiting %v; want ContainerExited(7), not awaiting", kinds(got), marks[0].AwaitsDie())
	}
	_, marks = run(t, cfg, nil, 0, poll{now: 10, events: []eventlog.Event{ev("start", 3)}, observed: exited(7, 4.5)})
	if marks[0].AwaitsDie() {
		t.Errorf("an exit 5.5 s before the window's end awaits its die; want it judged now")
	}
}

// persisted is what of a mark survives in status: its exported fields.
func persisted(marks []Mark) []Mark {
	out := make([]Mark, len(marks))
	for i, m := range marks {
		m.userStop, m.starts, m.awaitingDie = false, nil, false
		out[i] = m
	}
	return out
}

// A kill or OOM kill in one manager's last window whose die is logged in
// the next manager's first poll (a handoff, or a restart) is judged once:
// from the marks the first manager left in status.
func TestADeathLoggedInTheNextManagersFirstPollIsJudgedOnce(t *testing.T) {
	restarted := running(1, 9.6, 137)
	tests := []struct {
		name         string
		first        poll // the old manager's last poll, 0-10 s
		die          eventlog.Event
		observed     *Observed // at the new manager's first poll, 10-20 s
		want1, want2 string
	}{
		{"an OOM kill whose die comes late", poll{now: 10, events: []eventlog.Event{ev("oom", 9.5)}, observed: oomExited(9.6)},
			ev("die", 10.5, "exitCode=137"), oomExited(9.6), "ContainerOOMKilled(137)", ""},
		{"an OOM kill Docker already restarted", poll{now: 10, events: []eventlog.Event{ev("oom", 9.5)}, observed: oomExited(9.6)},
			ev("die", 10.5, "exitCode=137"), restarted, "ContainerOOMKilled(137)", ""},
		{"docker kill", poll{now: 10, events: []eventlog.Event{ev("kill", 9.5, "signal=9")}, observed: running(0, 0, 0)},
			ev("die", 10.5, "exitCode=137"), exited(137, 10.4), "", ""},
		{"docker stop past its grace", poll{now: 10, events: []eventlog.Event{ev("kill", 9.5, "signal=15")}, observed: running(0, 0, 0)},
			ev("die", 19.5, "exitCode=137"), exited(137, 19.5), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, marks := run(t, all, []Mark{{ID: "c1", Name: "web", RestartCount: 0}}, 0, tt.first)
			if kinds(got) != tt.want1 {
				t.Fatalf("old manager: %q, want %q", kinds(got), tt.want1)
			}
			res := Step(Input{Now: at(20), Horizon: at(10), EventsUntil: at(20), FromStatus: true,
				Events: []eventlog.Event{tt.die}, Observed: map[string]Observed{"c1": *tt.observed},
				Listed: map[string]bool{"c1": true}, Marks: persisted(marks), Config: all})
			if got := kinds(res.Transitions); got != tt.want2 {
				t.Errorf("new manager: %q, want %q", got, tt.want2)
			}
		})
	}
}
