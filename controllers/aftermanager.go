package controllers

import "context"

// AfterManager runs what must stop only once the manager has: the alert
// event sink, and a sharded replica's Lease. controller-runtime stops the
// runnables that need no leader election before the controllers. As one
// of them, the sink would be gone while the last polls still queue events,
// and those events would be lost, their alerts saved as Firing. A Lease
// released then would hand hosts over while their last polls here are
// still being saved. The manager binary and the tests' managers both stop
// this way.
type AfterManager struct {
	// Shard, when set, has its Lease released by Finish.
	Shard *Shard
	stop  context.CancelFunc
	done  chan struct{}
}

// StartAfterManager starts sink beside the manager, not as its runnable.
func StartAfterManager(sink *AlertEventSink) *AfterManager {
	ctx, cancel := context.WithCancel(context.Background())
	a := &AfterManager{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		_ = sink.Start(ctx) // never fails; drains for its own bounded time
	}()
	return a
}

// Finish is called once the manager has stopped: the sink drains what the
// last polls queued (for at most eventDrainOnStop) while the Lease is
// released. A second call waits for nothing.
func (a *AfterManager) Finish() {
	a.stop()
	if a.Shard != nil {
		a.Shard.Release()
		a.Shard = nil
	}
	<-a.done
}
