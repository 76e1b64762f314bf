package main

import (
	"context"

	"github.com/dockwatch/dockwatch/controllers"
)

// afterManager is what stops only once the manager has: the alert event
// sink, and the shard's Lease. controller-runtime stops the runnables that
// need no leader election before the controllers. As one of them, the sink
// would be gone while the last polls still queue events, and those events
// would be lost, their alerts saved as Firing. A Lease released then would
// hand hosts over while their last polls here are still being saved.
type afterManager struct {
	shard *controllers.Shard // nil unless --sharding
	stop  context.CancelFunc
	done  chan struct{}
}

// startAfterManager starts the sink outside the manager's runnables.
func startAfterManager(sink *controllers.AlertEventSink) *afterManager {
	ctx, cancel := context.WithCancel(context.Background())
	a := &afterManager{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		_ = sink.Start(ctx) // never fails; drains for its own bounded time
	}()
	return a
}

// finish is called once the manager has stopped: the sink drains what the
// last polls queued (for at most 5 s) while the Lease is released.
func (a *afterManager) finish() {
	a.stop()
	if a.shard != nil {
		a.shard.Release()
	}
	<-a.done
}
