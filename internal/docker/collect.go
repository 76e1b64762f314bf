package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/client"

	"github.com/dockwatch/dockwatch/internal/pacing"
	"github.com/dockwatch/dockwatch/internal/stats"
)

// sampleResult is the outcome for one selected container.
type sampleResult struct {
	stats   ContainerStats
	sampled bool  // a stats request was due (the container is live)
	err     error // nil, ErrContainerGone, or this container's own failure
	done    bool  // the container was handled before the deadline

	// For a second sample (refreshBaselines): the first one, the OS type
	// and CPU limit it was computed with, and whether it lacked a fresh
	// baseline.
	sample        baseline
	osType        string
	limit         float64
	rule          stats.HostCounter
	needsBaseline bool
}

// collect samples every target concurrently, because the daemon answers
// all requests waiting in one collector tick: sequential requests would
// take a tick each. A spread client keeps only as many in flight as finish
// within the container deadline, one wave per tick (see statsRun and
// package pacing); others send them all at once, up to maxStats. Every
// container's requests end by the container deadline (see
// containerDeadline), so one that never answers is skipped while its
// siblings are measured. A container without a fresh baseline gets a
// second sample a tick later when there is room. The first failure of the
// daemon itself cancels the rest and fails the poll.
func (c *Client) collect(ctx context.Context, targets []listed, daemon DaemonInfo) ([]sampleResult, error) {
	oneShot := c.cgroups != nil || !versions.LessThan(daemon.NegotiatedAPIVersion, OneShotAPIVersion)
	now := time.Now()
	sampleCtx, cancel, share := withContainerDeadline(ctx, now)
	defer cancel()
	results := make([]sampleResult, len(targets))
	run := c.newStatsRun(sampleCtx, now, targets, results, oneShot)
	run.do = func(workCtx context.Context, t statsTask) (sampleResult, *statsTask) {
		if t.resample {
			return c.resample(workCtx, results[t.i]), nil
		}
		r := c.sampleContainer(workCtx, targets[t.i], daemon, oneShot)
		var again *statsTask
		if r.err == nil && r.needsBaseline && roomFor(workCtx, c.tick+run.tick()) {
			again = &statsTask{i: t.i, resample: true, notBefore: time.Now().Add(c.tick)}
		}
		r.err = explainContainerDeadline(r.err, sampleCtx, ctx, share)
		return r, again
	}
	hostErr := run.run()
	for i, r := range results {
		if !r.done {
			results[i] = unfinished(targets[i], share)
		}
	}
	return results, c.pollError(ctx, hostErr, results)
}

// newStatsRun queues one task per target under the plan of this client: a
// spread client plans from the nominal tick, in at most maxSpreadWaves
// waves, and keeps at most as many in flight as finish in minSpreadWaves,
// because answers slower than planned can also mean this process is short
// of CPU, and more connections would make that worse; others send every
// request at once.
func (c *Client) newStatsRun(ctx context.Context, now time.Time, targets []listed, results []sampleResult, oneShot bool) *statsRun {
	workCtx, cancel := context.WithCancel(ctx)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = containerDeadline(now, now.Add(c.timeout)) // plan as if the poll had the usual deadline
	}
	run := &statsRun{ctx: workCtx, cancel: cancel, deadline: deadline, results: results,
		plan: pacing.Plan{Floor: c.maxStats, Ceiling: c.maxStats},
		base: c.tick, queue: make([]statsTask, len(targets))}
	for i, s := range targets {
		run.queue[i] = statsTask{i: i, expectsSecond: oneShot && isLive(s.State) && !c.memory.hasBaseline(s.ID)}
		if run.queue[i].expectsSecond {
			run.expected++
		}
	}
	if c.spread && c.cgroups == nil {
		requests := len(targets) + run.expected
		run.plan.Floor = min(c.maxStats, minSpreadConcurrency)
		run.plan.Ceiling = min(c.maxStats, max(run.plan.Floor, (requests+minSpreadWaves-1)/minSpreadWaves))
		run.plan.MaxWaves = maxSpreadWaves
	}
	return run
}

// pollError decides whether the collected results fail the whole poll.
func (c *Client) pollError(ctx context.Context, hostErr error, results []sampleResult) error {
	if hostErr != nil {
		return hostErr
	}
	if err := ctx.Err(); err != nil {
		return &OpError{Op: "get container stats", Endpoint: c.endpoint.raw, Err: err}
	}
	return allFailedError(results)
}

// isHostFailure reports errors that concern the daemon, not one container:
// it cannot be reached, TLS fails, or the read-only guard refused a call.
func isHostFailure(err error) bool {
	if err == nil || isGone(err) || isTimeout(err) {
		return false // a slow container is its own problem, not the daemon's
	}
	if _, refused := errors.AsType[*RefusedRequestError](err); refused {
		return true
	}
	return client.IsErrConnectionFailed(err) || TLSFailureCause(err) != ""
}

// sampleContainer reads one container's CPU limit (cached) and stats, and
// computes its usage against the previous sample kept for it.
func (c *Client) sampleContainer(ctx context.Context, s listed, daemon DaemonInfo, oneShot bool) sampleResult {
	cs := s.withoutFigures()
	if !isLive(s.State) {
		return sampleResult{stats: cs}
	}
	limit, err := c.cpuLimit(ctx, s.ID, cs.Name)
	if err != nil {
		return sampleResult{stats: cs, sampled: true, err: err}
	}
	cur, statsOS, err := c.takeSample(ctx, s.ID, cs.Name, oneShot)
	if err != nil {
		return sampleResult{stats: cs, sampled: true, err: err}
	}
	if statsOS == "" {
		statsOS = daemon.OSType
	}
	r := sampleResult{stats: cs, sampled: true, sample: baselineOf(cur), osType: statsOS, limit: limit}
	var prev *container.StatsResponse
	if oneShot {
		prev = freshBaseline(c.memory.swapSample(s.ID, cur), cur, c.maxBaselineAge)
		r.needsBaseline = prev == nil
	}
	r.rule = hostCounterRule(daemon.Engine, c.cgroups != nil)
	r.stats.Usage = stats.ComputeWith(cur, prev, statsOS, limit, r.rule)
	return r
}

// cpuLimit returns the container's CPU limit in cores, inspecting it only
// when the cached answer is missing or older than inspectMaxAge: limits
// change rarely but can change at runtime, and inspect per poll would
// double the requests.
func (c *Client) cpuLimit(ctx context.Context, id, name string) (float64, error) {
	if limit, ok := c.memory.cpuLimit(id); ok {
		return limit, nil
	}
	var resp container.InspectResponse
	err := c.call(ctx, "inspect container "+name, func(ctx context.Context) (err error) {
		resp, err = c.api().ContainerInspect(ctx, id)
		return err
	})
	if err != nil {
		return 0, markGone(err)
	}
	var limit float64
	if resp.ContainerJSONBase != nil && resp.HostConfig != nil {
		r := resp.HostConfig.Resources
		limit = stats.CPULimitCores(r.NanoCPUs, r.CPUQuota, r.CPUPeriod)
	}
	c.memory.setCPULimit(id, limit)
	c.locateCgroup(ctx, id, resp)
	return limit, nil
}

// fetchStats reads one stats document: one-shot (API >= 1.41, the daemon
// answers at once with an empty precpu) or stream=false (the daemon waits
// for a second sample and fills precpu). It also returns the OS type the
// daemon announces for the container.
func (c *Client) fetchStats(ctx context.Context, id, name string, oneShot bool) (*container.StatsResponse, string, error) {
	var (
		sample *container.StatsResponse
		osType string
	)
	err := c.call(ctx, "get stats of container "+name, func(ctx context.Context) error {
		var reader container.StatsResponseReader
		var err error
		if oneShot {
			reader, err = c.api().ContainerStatsOneShot(ctx, id)
		} else {
			reader, err = c.api().ContainerStats(ctx, id, false)
		}
		if err != nil {
			return err
		}
		defer reader.Body.Close()
		osType = reader.OSType
		sample, err = readStats(reader.Body)
		return err
	})
	if err != nil {
		return nil, "", markGone(err)
	}
	if sample.Read.IsZero() {
		// A container that stopped after the list gets an all-zero document.
		return nil, "", fmt.Errorf("%w: the daemon returned an empty sample for container %s", ErrContainerGone, name)
	}
	return sample, osType, nil
}

// statsBuffers hold stats bodies between reading and decoding: a manager
// reads thousands a minute, a few KiB each, and keeps none of them.
var statsBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readStats reads and decodes a bounded stats body.
func readStats(body io.Reader) (*container.StatsResponse, error) {
	buf := statsBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // a hostile daemon's large answer is not kept
			buf.Reset()
			statsBuffers.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(body, maxStatsBytes+1)); err != nil {
		return nil, fmt.Errorf("read stats body: %w", err)
	}
	if buf.Len() > maxStatsBytes {
		return nil, fmt.Errorf("%w: answer larger than %d bytes", stats.ErrMalformedStats, maxStatsBytes)
	}
	return stats.Decode(buf.Bytes())
}

// markGone tags the daemon's "no such container" and "not running"
// answers, which mean the container left between list and stats.
func markGone(err error) error {
	if cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err) {
		return fmt.Errorf("%w: %w", ErrContainerGone, err)
	}
	return err
}

// isGone reports a container that vanished or stopped during the poll.
func isGone(err error) bool {
	return errors.Is(err, ErrContainerGone)
}

// minSpreadConcurrency is the fewest stats requests a spread client keeps
// in flight: a host of a few containers is still polled in one wave.
const minSpreadConcurrency = 8

// maxSpreadWaves is the most waves a spread client's poll is planned in,
// though the default timeout's container deadline holds 7: each wave adds
// a tick to the time the poll holds a manager's worker, and at 7 (8
// connections for 50 containers) 256 workers were all busy with 1,000
// hosts and polls ran late; 5 (10 connections) leaves them a quarter idle
// and slow daemons 3 s of room before the plan must grow.
const maxSpreadWaves = 5

// minSpreadWaves is the fewest waves a spread client's poll is planned
// in, however late it runs: its connections stay at most a third of its
// requests (17 for 50 containers).
const minSpreadWaves = 3
