package controllers

import (
	"time"

	"golang.org/x/sync/semaphore"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// firstPollWait is how long a host that found every first-poll slot taken
// waits before it tries again. It holds no worker meanwhile.
const firstPollWait = time.Second

// FirstPolls bounds how many hosts that were never polled are polled at
// once. A first poll samples every container twice (its CPU baseline needs
// a second sample a tick later), so it holds twice the requests and
// connections of a later poll. A manager started on a fleet created all at
// once, or replicas taking such a fleet over together, would otherwise
// start one per worker: up to 256 per process. On a machine short of CPU
// some of them then missed their deadline and showed Ready=False
// DaemonUnreachable until their retry (38 of 1,000 hosts, two replicas on
// 2 cores), and the start-up peak of memory was that burst's. Hosts that
// have been polled are never held back: they keep their schedule.
type FirstPolls struct {
	slots *semaphore.Weighted
}

// NewFirstPolls allows n first polls at once (at least one).
func NewFirstPolls(n int) *FirstPolls {
	return &FirstPolls{slots: semaphore.NewWeighted(int64(max(1, n)))}
}

// tryStart takes a slot for host's poll. A host that was polled before
// needs none: ok is true and release does nothing. A nil FirstPolls bounds
// nothing.
func (f *FirstPolls) tryStart(host *dockwatchv1.DockerHost) (release func(), ok bool) {
	if f == nil || host.Status.LastPollTime != nil {
		return func() {}, true
	}
	if !f.slots.TryAcquire(1) {
		return nil, false
	}
	return func() { f.slots.Release(1) }, true
}
