// Package lifecycle turns what a Docker daemon says happened to its
// containers (the event log, and inspect's state) into alert transitions:
// OOM kills, crash exits, restart loops and health changes.
//
// It is a pure function of its inputs (the previous per-container marks,
// this poll's events and inspect answers, the configuration and a clock)
// and knows nothing of Docker clients or Kubernetes. The marks go out with
// the transitions and come back in on the next poll; the controller keeps
// them in status, so that after a restart nothing already reported is
// reported again and what happened meanwhile is reported once.
package lifecycle

import (
	"time"

	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// Kind is what a transition reports. The values are the event reasons.
type Kind string

// The lifecycle transitions.
const (
	// OOMKilled: the kernel killed a process of the container for memory.
	OOMKilled Kind = "ContainerOOMKilled"
	// Exited: the container stopped with a non-zero exit code nobody asked for.
	Exited Kind = "ContainerExited"
	// RestartLoop: Docker restarted the container Count times within Window.
	RestartLoop Kind = "ContainerRestartLoop"
	// RestartLoopResolved: a looping container has run for a whole Window
	// without a restart (not merely stayed exited, nor been removed).
	RestartLoopResolved Kind = "ContainerRestartLoopResolved"
	// Unhealthy: the container's health check turned unhealthy.
	Unhealthy Kind = "ContainerUnhealthy"
	// Healthy: an unhealthy container's health check passes again.
	Healthy Kind = "ContainerHealthy"
)

// Defaults for zero Config fields, and bounds.
const (
	DefaultRestartLoopCount  = 3
	DefaultRestartLoopWindow = 10 * time.Minute
	// MaxOutputBytes bounds the health check output carried by a transition.
	MaxOutputBytes = 256
	// MaxRestartLoopCount bounds Config.RestartLoopCount, and so the restart
	// times a mark keeps.
	MaxRestartLoopCount = 100
)

// Config says which transitions are wanted and what a restart loop is.
type Config struct {
	OOMKilled, Exited, RestartLoop, Health bool
	// RestartLoopCount restarts within RestartLoopWindow make a loop.
	RestartLoopCount  int
	RestartLoopWindow time.Duration
}

// Observed is one container as inspect described it this poll.
type Observed struct {
	ID, Name string
	// Status is Docker's state word: running, exited, restarting...
	Status    string
	Running   bool
	OOMKilled bool
	ExitCode  int
	// FinishedAt is when the container last exited; zero when it never did.
	FinishedAt time.Time
	// StartedAt is when the container last started.
	StartedAt time.Time
	// RestartCount counts restarts by the restart policy.
	RestartCount int
	// Health is "", starting, healthy or unhealthy; HealthOutput the last
	// probe's output.
	Health, HealthOutput string
	// MemoryLimitBytes is the container's memory limit, 0 for none.
	MemoryLimitBytes int64
}

// Mark is what is remembered about one container between polls: enough to
// tell a new episode from one already reported.
type Mark struct {
	ID, Name string
	// LastExit is the last exit handled (reported, or deliberately not).
	LastExit     time.Time
	LastExitCode int
	// Health is the last health status handled.
	Health string
	// RestartCount is the restart count last seen; -1 when not known yet.
	RestartCount int
	// Restarts are the restart times within the window, oldest first, at
	// most the configured count.
	Restarts []time.Time
	// LastRestart is the latest restart time, kept past the window.
	LastRestart time.Time
	// LoopSince is when the open restart-loop episode fired; zero when none.
	LoopSince time.Time
	// OOMKills counts OOM kills seen.
	OOMKills int
	// LastReport and LastReportKind are the last OOMKilled or Exited
	// reported, for folding a crashing loop's repeats into one episode.
	LastReport     time.Time
	LastReportKind Kind
	// KillAt is a kill (a person's docker stop, kill or rm) not yet
	// followed by the container's death, and KillSignal its signal; OOMAt
	// is the last OOM kill. They are persisted: the death they explain can
	// be logged in the next poll, which may be another manager's.
	KillAt, OOMAt time.Time
	KillSignal    string
	// Seen is the last poll that had news of the container.
	Seen time.Time
	// userStop marks that the last death was asked for, so the start that
	// follows (docker restart) is not a crash restart. Not persisted.
	userStop bool
	// starts are this poll's start events after an unrequested death.
	starts []time.Time
	// awaitingDie marks an exit left to the next poll for its die. Not
	// persisted.
	awaitingDie bool
}

// AwaitsDie says the container exited so close to the end of the last
// window that its die may not be logged yet: the next poll must inspect
// it, so that an exit whose die never comes is still reported.
func (m Mark) AwaitsDie() bool { return m.awaitingDie }

// Input is one poll's worth of news about a host's containers.
type Input struct {
	Now time.Time
	// Horizon is where this poll's event window began: exits that finished
	// at or before it were handled by an earlier poll (or predate watching)
	// and are never reported from inspect.
	Horizon time.Time
	// FromStatus says the marks were rebuilt from status this poll (a
	// manager's first poll of the host), not carried from its last poll.
	FromStatus bool
	// EventsUntil is where the event window ended: exits inspect shows
	// after it are left for the next poll's events.
	EventsUntil time.Time
	// Events are the window's container events, in the daemon's order.
	Events []eventlog.Event
	// Observed are this poll's inspect answers, by container ID.
	Observed map[string]Observed
	// Listed are the IDs of the containers the daemon lists now.
	Listed map[string]bool
	// Gone are the IDs inspect said no longer exist.
	Gone  map[string]bool
	Marks []Mark
	Config
}

// Transition is one change worth an event.
type Transition struct {
	Kind                 Kind
	ContainerID, Name    string
	At                   time.Time
	ExitCode             int
	RestartCount         int
	RestartsInWindow     int
	MemoryLimitBytes     int64
	HealthOutput, Status string
	// Reconstructed: the daemon's event log did not have it (a manager
	// restart, a cut read); inspect's state did.
	Reconstructed bool
}

// Result is the outcome of one Step.
type Result struct {
	// Marks are the next marks, by container ID order. Feed them back.
	Marks []Mark
	// Transitions are this poll's changes, in the order they happened.
	Transitions []Transition
}
