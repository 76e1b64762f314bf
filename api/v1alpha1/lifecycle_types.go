package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LifecycleSpec tunes the container lifecycle alerts: OOM kills, crash
// exits, restart loops and failing health checks, read from the daemon's
// event log on every poll. All of them are on by default.
type LifecycleSpec struct {
	// enabled switches every lifecycle alert off when false; the event log
	// is then not read at all.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// oomKilled raises ContainerOOMKilled when the kernel kills a process
	// of a container for memory.
	// +optional
	// +kubebuilder:default=true
	OOMKilled *bool `json:"oomKilled,omitempty"`

	// exited raises ContainerExited when a container stops with a non-zero
	// exit code that no person asked for (docker stop, kill and rm raise
	// nothing, and an OOM kill raises ContainerOOMKilled instead).
	// +optional
	// +kubebuilder:default=true
	Exited *bool `json:"exited,omitempty"`

	// restartLoop raises ContainerRestartLoop when Docker restarts a
	// container restartLoopCount times within restartLoopWindow, and
	// ContainerRestartLoopResolved after a whole window without a restart.
	// +optional
	// +kubebuilder:default=true
	RestartLoop *bool `json:"restartLoop,omitempty"`

	// health raises ContainerUnhealthy when a health check turns unhealthy
	// and ContainerHealthy when it passes again.
	// +optional
	// +kubebuilder:default=true
	Health *bool `json:"health,omitempty"`

	// restartLoopCount is how many restarts within restartLoopWindow make
	// a restart loop.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=100
	RestartLoopCount int32 `json:"restartLoopCount,omitempty"`

	// restartLoopWindow is the window restarts are counted in, and how long
	// a looping container must go without a restart for the loop to resolve.
	// +optional
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s') && duration(self) <= duration('24h')",message="spec.lifecycle.restartLoopWindow must be between 10s and 24h"
	RestartLoopWindow *metav1.Duration `json:"restartLoopWindow,omitempty"`
}

// LifecycleStatus is the lifecycle alerts' memory: where the event log was
// read up to and what was last reported per container, so that a restarted
// manager neither reports an episode twice nor misses one.
type LifecycleStatus struct {
	// eventsSince is the event log cursor: events logged before it have
	// been handled.
	// +optional
	EventsSince *metav1.MicroTime `json:"eventsSince,omitempty"`

	// eventsCut says why the last read of the event log stopped before the
	// end of its window: MaxEvents or MaxBytes (the per-poll bounds; the
	// rest is read next poll), Until (the daemon did not end its answer at
	// the window's end) or Error (the answer broke off). Empty when it read
	// everything.
	// +optional
	EventsCut string `json:"eventsCut,omitempty"`

	// eventsMalformed counts lines of the last read that were not events.
	// +optional
	EventsMalformed int32 `json:"eventsMalformed,omitempty"`

	// containers are the per-container marks, open episodes first.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	Containers []ContainerLifecycle `json:"containers,omitempty"`

	// containersOmitted counts marks left out of containers; only a
	// manager restart forgets them.
	// +optional
	ContainersOmitted int32 `json:"containersOmitted,omitempty"`
}

// ContainerLifecycle is what was last seen and reported of one container.
type ContainerLifecycle struct {
	// id is the full container ID, cut to 128 bytes (with a hash of the
	// whole) when a daemon sends a longer one.
	// +required
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id"`
	// name is the container name, cut like id to 256 bytes.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`
	// restartCount is the restart count Docker last reported.
	// +optional
	RestartCount int32 `json:"restartCount,omitempty"`
	// health is the last health status handled: starting, healthy or unhealthy.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Health string `json:"health,omitempty"`
	// lastExitCode is the exit code of the last exit seen.
	// +optional
	LastExitCode int32 `json:"lastExitCode,omitempty"`
	// oomKills counts the OOM kills seen.
	// +optional
	OOMKills int32 `json:"oomKills,omitempty"`
	// restarts are the restart times inside the restart-loop window.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	Restarts []metav1.Time `json:"restarts,omitempty"`
	// lastRestart is the last restart seen.
	// +optional
	LastRestart *metav1.Time `json:"lastRestart,omitempty"`
	// restartLoopSince is set while a restart loop is open: when it was reported.
	// +optional
	RestartLoopSince *metav1.Time `json:"restartLoopSince,omitempty"`
	// lastReport is when the last ContainerOOMKilled or ContainerExited was
	// reported, and lastReportReason which one.
	// +optional
	LastReport *metav1.Time `json:"lastReport,omitempty"`
	// lastReportReason is ContainerOOMKilled or ContainerExited.
	// +optional
	LastReportReason string `json:"lastReportReason,omitempty"`
	// lastExit is when the last exit handled finished, reported or not.
	// +optional
	LastExit *metav1.MicroTime `json:"lastExit,omitempty"`
	// oomKilledAt is the last OOM kill seen. A death within a minute of it
	// is that kill's, already reported, even when the next manager reads it.
	// +optional
	OOMKilledAt *metav1.MicroTime `json:"oomKilledAt,omitempty"`
	// killedAt is a kill (docker stop, kill or rm) whose death was not
	// seen yet, and killSignal its signal: that death was asked for.
	// +optional
	KilledAt *metav1.MicroTime `json:"killedAt,omitempty"`
	// killSignal is killedAt's signal, as the daemon logged it.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	KillSignal string `json:"killSignal,omitempty"`
}

// Event reasons for container lifecycle alerts.
const (
	// EventContainerOOMKilled (Warning): the kernel killed a process of the container for memory.
	EventContainerOOMKilled = "ContainerOOMKilled"
	// EventContainerExited (Warning): the container stopped with a non-zero exit code nobody asked for.
	EventContainerExited = "ContainerExited"
	// EventContainerRestartLoop (Warning): Docker keeps restarting the container.
	EventContainerRestartLoop = "ContainerRestartLoop"
	// EventContainerRestartLoopResolved (Normal): the container ran a whole window without a restart.
	EventContainerRestartLoopResolved = "ContainerRestartLoopResolved"
	// EventContainerUnhealthy (Warning): the container's health check turned unhealthy.
	EventContainerUnhealthy = "ContainerUnhealthy"
	// EventContainerHealthy (Normal): an unhealthy container's health check passes again.
	EventContainerHealthy = "ContainerHealthy"
)

// Annotations lifecycle events carry besides host, container, container-id
// and reason.
const (
	// AnnotationExitCode is the exit code, on ContainerExited and ContainerOOMKilled.
	AnnotationExitCode = "dockwatch.io/exit-code"
	// AnnotationRestartCount is Docker's restart count of the container.
	AnnotationRestartCount = "dockwatch.io/restart-count"
	// AnnotationSource is "events" when the daemon's event log reported the
	// episode, "inspect" when it was reconstructed from the container's
	// state (the log had lost it, e.g. while the manager was down).
	AnnotationSource = "dockwatch.io/source"
)
