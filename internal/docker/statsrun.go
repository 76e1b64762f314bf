package docker

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/dockwatch/dockwatch/internal/pacing"
)

// maxSpareWorkers bounds, for the whole process, the workers polls start
// beyond their first plan. Answers slower than planned mean a slow daemon,
// which more requests in flight fix, or a manager short of CPU, which more
// connections (each a TLS handshake) make worse: without a bound the
// second feeds on itself until every poll misses its deadline. Spread over
// the few slow daemons of a fleet, 256 is plenty; a manager that is itself
// behind soon finds none spare and polls at its first plans.
const maxSpareWorkers = 256

// spareWorkers is the process-wide bound of maxSpareWorkers.
var spareWorkers = semaphore.NewWeighted(maxSpareWorkers)

// statsTask is one request of a poll: a container's sample, or its second
// sample (resample), taken no earlier than notBefore.
type statsTask struct {
	i         int // index into the poll's targets and results
	resample  bool
	notBefore time.Time
	// expectsSecond marks the first sample of a container without a kept
	// baseline: a second sample will follow, which the plan counts ahead.
	expectsSecond bool
}

// statsRun works through one poll's tasks on workers that each send one
// request at a time, so a worker is a connection kept from wave to wave.
// It starts as few workers as finish the tasks in the waves that fit
// before the containers' deadline (package pacing) and starts more
// whenever an answer shows the daemon slower than planned. The first
// failure of the daemon itself cancels the rest; tasks not started by then
// leave their results zero (not done).
type statsRun struct {
	ctx      context.Context
	cancel   context.CancelFunc
	plan     pacing.Plan
	deadline time.Time     // the containers' deadline
	base     time.Duration // the tick to expect before any answer
	results  []sampleResult
	// do runs one task; it returns the task's result and, for a first
	// sample that needs a second, that second task.
	do func(ctx context.Context, t statsTask) (sampleResult, *statsTask)

	mu        sync.Mutex
	queue     []statsTask
	expected  int // second samples counted ahead, not queued yet
	workers   int
	planned   bool // the first plan is made: workers beyond it hold a spare
	firstPlan int  // how many workers the first plan started
	spares    int64
	latencies []time.Duration // of this poll's answered requests
	wave      time.Duration   // pacing.Tick of latencies, kept as they come
	hostErr   error
	wg        sync.WaitGroup
}

// run works through the queue and returns the daemon's failure, if any.
func (r *statsRun) run() error {
	defer r.cancel()
	r.mu.Lock()
	r.wave = r.base
	r.grow()
	r.planned, r.firstPlan = true, r.workers
	r.mu.Unlock()
	r.wg.Wait()
	spareWorkers.Release(r.spares)
	return r.hostErr
}

// tick is the expected time of one wave, from the answers so far.
func (r *statsRun) tick() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wave
}

// grow starts workers, each with a queued task, until the plan is met.
// r.mu must be held.
func (r *statsRun) grow() {
	if r.ctx.Err() != nil {
		return
	}
	tick := r.wave
	room := time.Until(r.deadline)
	if r.expected > 0 {
		room -= tick // the last first samples' seconds come a wave after them
	}
	want := r.plan.InFlight(len(r.queue)+r.expected, room, tick)
	for r.workers < want && len(r.queue) > 0 {
		if r.planned && r.workers >= r.firstPlan {
			if !spareWorkers.TryAcquire(1) {
				return
			}
			r.spares++
		}
		r.workers++
		r.wg.Add(1)
		go r.work(r.pop())
	}
}

// pop takes the oldest queued task. r.mu must be held.
func (r *statsRun) pop() statsTask {
	t := r.queue[0]
	r.queue = r.queue[1:]
	return t
}

// work runs tasks until the queue is empty or the run is cancelled. Only a
// request sent as soon as the worker's previous one was answered waits a
// whole tick, so only those measure the tick: not a worker's first (sent
// at any point of a tick, after a dial) nor one that waited for its
// notBefore.
func (r *statsRun) work(t statsTask) {
	defer r.wg.Done()
	measures := false
	for {
		if wait := time.Until(t.notBefore); wait > 0 {
			measures = false
			if !sleepCtx(r.ctx, wait) {
				r.finish(t, nil, nil, 0)
				return
			}
		}
		start := time.Now()
		res, again := r.do(r.ctx, t)
		took := time.Since(start)
		if !measures {
			took = 0
		}
		next, ok := r.finish(t, &res, again, took)
		if !ok {
			return
		}
		t, measures = next, true
	}
}

// finish records a task's result (nil: not run) and the tick it measured
// (0: none), queues its follow-up and hands the worker its next task; ok
// is false when the worker should stop.
func (r *statsRun) finish(t statsTask, res *sampleResult, again *statsTask, took time.Duration) (next statsTask, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.expectsSecond {
		r.expected--
	}
	if res != nil {
		res.done = true
		r.results[t.i] = *res
		if took > 0 && res.sampled && res.err == nil {
			r.latencies = append(r.latencies, took)
			r.wave = pacing.Tick(r.latencies, r.base)
		}
		if isHostFailure(res.err) && r.hostErr == nil {
			r.hostErr = res.err
			r.cancel()
		}
	}
	if again != nil {
		r.queue = append(r.queue, *again)
	}
	r.grow() // planned with this worker's next task still counted as left
	if r.ctx.Err() != nil || len(r.queue) == 0 {
		r.workers--
		return statsTask{}, false
	}
	return r.pop(), true
}
