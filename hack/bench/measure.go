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
	cgroup           cgroupResults   // (d): steady state through the cgroup source
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

// measure runs every measurement interleaved, run by run, so that load
// from elsewhere on the machine falls on all of them alike; then, when the
// cgroup source was measured, it times the cgroup files alone.
func measure(ctx context.Context, tb *recoveringTB, d *dockertest.Daemon, opts options) (*results, error) {
	res := &results{containers: opts.containers, runs: opts.runs, endpoint: d.Host}
	warmed, err := openSeries(ctx, d.Host, opts, res)
	if err != nil {
		return nil, err
	}
	defer closeSeries(warmed)
	for i := 1; i <= opts.runs; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := measureRun(ctx, d, res, warmed); err != nil {
			return nil, err
		}
		logRun(tb, i, res)
	}
	if res.cgroup.skipped != "" {
		return res, nil
	}
	return res, timeFilesOnly(tb, d, &res.cgroup)
}

// series is one steady-state measurement: a client that has taken its
// first snapshot, and where the timings of its later ones go.
type series struct {
	client *docker.Client
	into   *[]time.Duration
}

// openSeries warms a client for each steady-state measurement: (a) the API
// source, (b) the same with a small worker pool and (d) the cgroup source,
// unless that is switched off or cannot be built here (res says why).
func openSeries(ctx context.Context, host string, opts options, res *results) ([]series, error) {
	api := docker.Config{Endpoint: host, Timeout: snapshotTimeout}
	bounded := api
	bounded.MaxConcurrentStats = boundedStats
	var out []series
	for _, s := range []struct {
		cfg  docker.Config
		into *[]time.Duration
	}{{api, &res.warm}, {bounded, &res.bounded}} {
		c, err := warmClient(ctx, s.cfg, opts.containers)
		if err != nil {
			closeSeries(out)
			return nil, err
		}
		out = append(out, series{client: c, into: s.into})
	}
	c, skipped, err := openCgroup(ctx, api, opts)
	if err != nil {
		closeSeries(out)
		return nil, err
	}
	if res.cgroup.skipped = skipped; c != nil {
		out = append(out, series{client: c, into: &res.cgroup.warm})
	}
	return out, nil
}

// closeSeries closes the clients of every series.
func closeSeries(ss []series) {
	for _, s := range ss {
		s.client.Close()
	}
}

// measureRun takes one sample of each measurement, each after a random
// phase of the collector tick.
func measureRun(ctx context.Context, d *dockertest.Daemon, res *results, warmed []series) error {
	if err := randomPhase(ctx); err != nil {
		return err
	}
	cold, info, err := coldSnapshot(ctx, d.Host, res.containers)
	if err != nil {
		return err
	}
	res.daemon = info
	res.cold = append(res.cold, cold)
	for _, s := range warmed {
		if err := randomPhase(ctx); err != nil {
			return err
		}
		took, _, err := timeSnapshot(ctx, s.client, res.containers, true)
		if err != nil {
			return err
		}
		*s.into = append(*s.into, took)
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

// logRun logs the latest sample of each measurement, so a long benchmark
// shows progress and a noisy run stands out.
func logRun(tb *recoveringTB, i int, res *results) {
	n := len(res.cold) - 1
	line := fmt.Sprintf("run %d/%d: cold %s, warm %s, MaxConcurrentStats=%d %s", i, res.runs,
		millis(res.cold[n]), millis(res.warm[n]), boundedStats, millis(res.bounded[n]))
	if len(res.cgroup.warm) > n {
		line += ", cgroup " + millis(res.cgroup.warm[n])
	}
	tb.Logf("%s, docker stats %s", line, millis(res.dockerStats[n]))
}

// randomPhase sleeps a random part of the daemon's one-second collector
// tick before a measurement. Requests wait for the next tick, so starting
// right after the previous measurement (which ended on a tick) would always
// wait a whole tick; a poller's phase is arbitrary, and so is this one.
func randomPhase(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(rand.N(time.Second)):
		return nil
	}
}

// warmClient builds a client and takes its first snapshot, so later ones
// run as in steady-state polling: containers inspected (and, for the
// cgroup source, located), previous samples and CPU limits held.
func warmClient(ctx context.Context, cfg docker.Config, want int) (*docker.Client, error) {
	c, err := docker.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Endpoint, err)
	}
	if _, _, err := timeSnapshot(ctx, c, want, false); err != nil {
		c.Close()
		return nil, fmt.Errorf("warm up the %q stats source: %w", sourceName(cfg), err)
	}
	return c, nil
}

// sourceName is the stats source a config selects, the default spelled out.
func sourceName(cfg docker.Config) string {
	if cfg.StatsSource == "" {
		return docker.StatsSourceAPI
	}
	return cfg.StatsSource
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
		return 0, docker.DaemonInfo{}, fmt.Errorf("snapshot has %d containers and %d skipped, want %d and none (first skip: %s)",
			len(snap.Containers), len(snap.Skipped), want, firstSkip(snap))
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

// firstSkip describes the first skipped container of a snapshot, if any:
// the reason a whole source fails is usually the same for every container.
func firstSkip(snap *docker.Snapshot) string {
	if len(snap.Skipped) == 0 {
		return "none"
	}
	return snap.Skipped[0].Name + ": " + snap.Skipped[0].Err.Error()
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
