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
		go r.work(r.pop(), time.Time{})
	}
}

// pop takes the oldest queued task. r.mu must be held.
func (r *statsRun) pop() statsTask {
	t := r.queue[0]
	r.queue = r.queue[1:]
	return t
}

// work runs tasks until the queue is empty or the run is cancelled. A
// request answered at one of the daemon's collector ticks (it waited at
// least tickEvidence) is followed on this worker by one sent tickLead
// before the next tick, not at once: until then the worker holds an idle
// connection but no goroutine (see later). The time from one answer to the
// next on a worker is one tick, and is what measures the tick (since: the
// previous answer; zero when the request does not measure it): not for a
// worker's first request (sent at any point of a tick, after a dial), nor
// for one that waited for its task's own notBefore.
func (r *statsRun) work(t statsTask, since time.Time) {
	for {
		if wait := time.Until(t.notBefore); wait > 0 {
			r.later(t, since, wait)
			return
		}
		start := time.Now()
		res, again := r.do(r.ctx, t)
		answered := time.Now()
		var tick time.Duration
		if !since.IsZero() {
			tick = answered.Sub(since)
		}
		next, ok := r.finish(t, &res, again, tick)
		if !ok {
			r.wg.Done()
			return
		}
		t, since = next, answered
		if res.sampled && res.err == nil && answered.Sub(start) >= tickEvidence {
			if send := answered.Add(r.tick() - tickLead); send.After(t.notBefore) {
				t.notBefore = send
				continue
			}
		}
		if t.notBefore.After(answered) {
			since = time.Time{}
		}
	}
}

// tickEvidence is the least wait for an answer that shows it came at a
// collector tick: a daemon that answers at once (a newer engine, Podman)
// answers a loopback or LAN request well within it, and keeps today's
// back-to-back requests.
const tickEvidence = 150 * time.Millisecond

// tickLead is how long before a daemon's expected tick a worker sends its
// next request: room for the request to reach the daemon and for this
// process to be late in waking, since one sent after the tick waits a
// whole tick more. It is what each request holds a goroutine for, instead
// of the whole tick.
const tickLead = 300 * time.Millisecond

// later continues the worker with t after wait, on a new goroutine, so a
// worker waiting for its daemon's next tick (or a second sample's time)
// holds no goroutine stack, only its place in r.wg. The run's end
// continues it at once, to be finished unrun.
func (r *statsRun) later(t statsTask, since time.Time, wait time.Duration) {
	p := &pendingTask{}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = time.AfterFunc(wait, func() {
		if p.claim() {
			p.stopCtx()
			r.work(t, since)
		}
	})
	p.stopCtx = context.AfterFunc(r.ctx, func() {
		if p.claim() {
			p.timer.Stop()
			r.finish(t, nil, nil, 0)
			r.wg.Done()
		}
	})
}

// pendingTask is a worker's task waiting for its time or for the run's
// end, whichever claims it first.
type pendingTask struct {
	mu      sync.Mutex
	claimed bool
	timer   *time.Timer
	stopCtx func() bool
}

func (p *pendingTask) claim() bool {
	p.mu.Lock() // held by later until timer and stopCtx are set
	defer p.mu.Unlock()
	if p.claimed {
		return false
	}
	p.claimed = true
	return true
}

// finish records a task's result (nil: not run) and the tick it measured
// (0: none), queues its follow-up and hands the worker its next task; ok
// is false when the worker should stop.
func (r *statsRun) finish(t statsTask, res *sampleResult, again *statsTask, tick time.Duration) (next statsTask, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.expectsSecond {
		r.expected--
	}
	if res != nil {
		res.done = true
		r.results[t.i] = *res
		if tick > 0 && res.sampled && res.err == nil {
			r.latencies = append(r.latencies, tick)
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
