package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// boundedStats is the concurrency of measurement (b): a bound that makes
// requests wait for collector ticks in batches, for comparison.
const boundedStats = 8

// snapshotTimeout is generous: with boundedStats, 100 containers take
// about 13 one-second ticks, and a shared machine can be slower.
const snapshotTimeout = 2 * time.Minute

// results holds every timing of one benchmark run.
type results struct {
	containers, runs int
	daemon           docker.DaemonInfo
	endpoint         string
	cold, warm       []time.Duration // (a): first snapshot of a new client; steady state
	bounded          []time.Duration // (b): steady state with MaxConcurrentStats=8
	dockerStats      []time.Duration // (c): docker stats --no-stream
}

// measureAndReport starts the daemon and containers, measures, and prints.
func measureAndReport(ctx context.Context, tb *recoveringTB, opts options, out io.Writer) error {
	d := dockertest.Start(tb, dockertest.Options{})
	tb.Logf("starting %d idle containers (takes a while on a busy machine)", opts.containers)
	d.RunMany(tb, "idle", opts.containers)
	res, err := measure(ctx, tb, d, opts)
	if err != nil {
		return err
	}
	return writeReport(out, res)
}

// measure runs the three measurements interleaved, run by run, so that
// load from elsewhere on the machine falls on all of them alike.
func measure(ctx context.Context, tb *recoveringTB, d *dockertest.Daemon, opts options) (*results, error) {
	res := &results{containers: opts.containers, runs: opts.runs, endpoint: d.Host}
	warm, err := warmClient(ctx, docker.Config{Endpoint: d.Host, Timeout: snapshotTimeout}, opts.containers)
	if err != nil {
		return nil, err
	}
	defer warm.Close()
	bounded, err := warmClient(ctx, docker.Config{Endpoint: d.Host, Timeout: snapshotTimeout, MaxConcurrentStats: boundedStats}, opts.containers)
	if err != nil {
		return nil, err
	}
	defer bounded.Close()
	for i := 1; i <= opts.runs; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := measureRun(ctx, d, res, warm, bounded); err != nil {
			return nil, err
		}
		n := len(res.warm) - 1
		tb.Logf("run %d/%d: cold %s, warm %s, MaxConcurrentStats=%d %s, docker stats %s", i, opts.runs,
			seconds(res.cold[n]), seconds(res.warm[n]), boundedStats, seconds(res.bounded[n]), seconds(res.dockerStats[n]))
	}
	return res, nil
}

// randomPhase sleeps a random part of the daemon's one-second collector
// tick before a measurement. Requests wait for the next tick, so starting
// right after the previous measurement (which ended on a tick) would always
// wait a whole tick; a poller's phase is arbitrary, and so is this one.
func randomPhase(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(rand.Int64N(int64(time.Second)))):
		return nil
	}
}

// measureRun takes one sample of each measurement.
func measureRun(ctx context.Context, d *dockertest.Daemon, res *results, warm, bounded *docker.Client) error {
	if err := randomPhase(ctx); err != nil {
		return err
	}
	cold, info, err := coldSnapshot(ctx, d.Host, res.containers)
	if err != nil {
		return err
	}
	res.daemon = info
	res.cold = append(res.cold, cold)
	for _, m := range []struct {
		client *docker.Client
		into   *[]time.Duration
	}{{warm, &res.warm}, {bounded, &res.bounded}} {
		if err := randomPhase(ctx); err != nil {
			return err
		}
		took, _, err := timeSnapshot(ctx, m.client, res.containers, true)
		if err != nil {
			return err
		}
		*m.into = append(*m.into, took)
	}
	if err := randomPhase(ctx); err != nil {
		return err
	}
	took, err := timeDockerStats(d)
	if err != nil {
		return err
	}
	res.dockerStats = append(res.dockerStats, took)
	return nil
}

// warmClient builds a client and takes its first snapshot, so later ones
// run as in steady-state polling: previous samples and CPU limits held.
func warmClient(ctx context.Context, cfg docker.Config, want int) (*docker.Client, error) {
	c, err := docker.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Endpoint, err)
	}
	if _, _, err := timeSnapshot(ctx, c, want, false); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// coldSnapshot times the first snapshot of a new client: it also inspects
// every container once for its CPU limit and has no CPU baseline yet.
func coldSnapshot(ctx context.Context, endpoint string, want int) (time.Duration, docker.DaemonInfo, error) {
	c, err := docker.New(docker.Config{Endpoint: endpoint, Timeout: snapshotTimeout})
	if err != nil {
		return 0, docker.DaemonInfo{}, fmt.Errorf("client for %s: %w", endpoint, err)
	}
	defer c.Close()
	return timeSnapshot(ctx, c, want, false)
}

// timeSnapshot times one snapshot and checks it is complete: a snapshot
// that skipped containers, or a warm one without CPU figures, did less
// work than the real thing and would flatter the timing.
func timeSnapshot(ctx context.Context, c *docker.Client, want int, warm bool) (time.Duration, docker.DaemonInfo, error) {
	start := time.Now()
	snap, err := c.Snapshot(ctx, docker.Selection{})
	took := time.Since(start)
	if err != nil {
		return 0, docker.DaemonInfo{}, err
	}
	if len(snap.Containers) != want || len(snap.Skipped) != 0 {
		return 0, docker.DaemonInfo{}, fmt.Errorf("snapshot has %d containers and %d skipped, want %d and none", len(snap.Containers), len(snap.Skipped), want)
	}
	if warm {
		for _, cs := range snap.Containers {
			if cs.CPUPercent == nil {
				return 0, docker.DaemonInfo{}, fmt.Errorf("warm snapshot without a CPU figure for %s", cs.Name)
			}
		}
	}
	return took, snap.Daemon, nil
}

// timeDockerStats times `docker stats --no-stream` over every running
// container, as a user would type it (CLI start-up included).
func timeDockerStats(d *dockertest.Daemon) (time.Duration, error) {
	start := time.Now()
	if _, err := d.TryDocker("stats", "--no-stream"); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
