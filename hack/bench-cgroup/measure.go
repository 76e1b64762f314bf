package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dockwatch/dockwatch/internal/cgroupstats"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// snapshotTimeout bounds one call to the daemon; a loaded 2-core machine
// can take several seconds to answer 100 stats requests.
const snapshotTimeout = 2 * time.Minute

// timings are the results of one benchmark.
type timings struct {
	containers    int
	daemon        docker.DaemonInfo
	api, cgroup   []time.Duration // warm snapshots through each source
	filesOnly     time.Duration   // cgroupstats.Read of every container, no API calls
	cgroupVersion string
}

// benchmark starts the daemon and containers, measures and reports.
func benchmark(ctx context.Context, tb *benchTB, opts options, out io.Writer) error {
	d := dockertest.Start(tb, dockertest.Options{})
	tb.Logf("starting %d idle containers (slow on a busy machine)", opts.containers)
	d.RunMany(tb, "idle", opts.containers)
	res, err := measure(ctx, tb, d, opts)
	if err != nil {
		return err
	}
	report(out, res)
	return nil
}

// measure times warm snapshots through both sources, alternating run by
// run so that load from elsewhere falls on both alike.
func measure(ctx context.Context, tb *benchTB, d *dockertest.Daemon, opts options) (*timings, error) {
	res := &timings{containers: opts.containers}
	clients := map[string]*docker.Client{}
	for _, source := range []string{docker.StatsSourceAPI, docker.StatsSourceCgroup} {
		c, err := warmClient(ctx, docker.Config{Endpoint: d.Host, Timeout: snapshotTimeout, StatsSource: source}, opts.containers)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		clients[source] = c
	}
	for i := 1; i <= opts.runs; i++ {
		if err := randomPhase(ctx); err != nil {
			return nil, err
		}
		api, info, err := timeSnapshot(ctx, clients[docker.StatsSourceAPI], opts.containers)
		if err != nil {
			return nil, err
		}
		cg, _, err := timeSnapshot(ctx, clients[docker.StatsSourceCgroup], opts.containers)
		if err != nil {
			return nil, err
		}
		res.daemon, res.api, res.cgroup = info, append(res.api, api), append(res.cgroup, cg)
		tb.Logf("run %d/%d: api %s, cgroup %s", i, opts.runs, api.Round(time.Microsecond), cg.Round(time.Microsecond))
	}
	return res, timeFilesOnly(tb, d, res)
}

// randomPhase waits a random part of the daemon's one-second collector
// tick: an API snapshot waits for the next tick, and a poller's phase
// relative to it is arbitrary.
func randomPhase(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(rand.N(time.Second)):
		return nil
	}
}

// warmClient builds a client and takes two snapshots, so that timed ones
// run as in steady polling: inspect done, locations and baselines held.
func warmClient(ctx context.Context, cfg docker.Config, want int) (*docker.Client, error) {
	c, err := docker.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Endpoint, err)
	}
	for range 2 {
		if _, _, err := timeSnapshot(ctx, c, want); err != nil {
			c.Close()
			return nil, fmt.Errorf("warm %q source: %w", cfg.StatsSource, err)
		}
	}
	return c, nil
}

// timeSnapshot times one snapshot and checks that it did the whole job: a
// snapshot that skipped containers would flatter the timing.
func timeSnapshot(ctx context.Context, c *docker.Client, want int) (time.Duration, docker.DaemonInfo, error) {
	start := time.Now()
	snap, err := c.Snapshot(ctx, docker.Selection{})
	took := time.Since(start)
	if err != nil {
		return 0, docker.DaemonInfo{}, err
	}
	if len(snap.Containers) != want || len(snap.Skipped) != 0 {
		return 0, docker.DaemonInfo{}, fmt.Errorf("snapshot has %d containers and %d skipped, want %d and none (first skip: %v)",
			len(snap.Containers), len(snap.Skipped), want, firstSkip(snap))
	}
	return took, snap.Daemon, nil
}

// firstSkip describes the first skipped container of a snapshot, if any.
func firstSkip(snap *docker.Snapshot) string {
	if len(snap.Skipped) == 0 {
		return "none"
	}
	return snap.Skipped[0].Name + ": " + snap.Skipped[0].Err.Error()
}

// timeFilesOnly times cgroupstats.Read over every container, located once
// beforehand: the part of a cgroup-source snapshot that is not API calls.
func timeFilesOnly(tb *benchTB, d *dockertest.Daemon, res *timings) error {
	res.cgroupVersion = d.Docker(tb, "info", "--format", "{{.CgroupVersion}}")
	driver := d.Docker(tb, "info", "--format", "{{.CgroupDriver}}")
	ids := strings.Fields(d.Docker(tb, "ps", "--quiet", "--no-trunc"))
	lines := d.Docker(tb, append([]string{"inspect", "--format", "{{.Id}} {{.State.Pid}}"}, ids...)...)
	reader := cgroupstats.NewReader("", "")
	var locs []*cgroupstats.Location
	for _, line := range strings.Split(lines, "\n") {
		id, pidText, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			return fmt.Errorf("inspect line %q: %w", line, err)
		}
		loc, err := reader.Locate(cgroupstats.Container{ID: id, Pid: pid, CgroupDriver: driver, CgroupVersion: res.cgroupVersion})
		if err != nil {
			return err
		}
		locs = append(locs, loc)
	}
	start := time.Now()
	for _, loc := range locs {
		if _, err := reader.Read(loc); err != nil {
			return err
		}
	}
	res.filesOnly = time.Since(start)
	return nil
}

// report prints the medians, minimums and maximums, and the ratio.
func report(out io.Writer, res *timings) {
	fmt.Fprintf(out, "warm snapshot of %d idle containers, %d runs each; Docker %s (API %s), cgroup v%s\n",
		res.containers, len(res.api), res.daemon.Version, res.daemon.NegotiatedAPIVersion, res.cgroupVersion)
	fmt.Fprintf(out, "%-8s %12s %12s %12s\n", "source", "median", "min", "max")
	for _, row := range []struct {
		name string
		runs []time.Duration
	}{{"api", res.api}, {"cgroup", res.cgroup}} {
		fmt.Fprintf(out, "%-8s %12s %12s %12s\n", row.name, ms(median(row.runs)), ms(slices.Min(row.runs)), ms(slices.Max(row.runs)))
	}
	fmt.Fprintf(out, "ratio api/cgroup (medians): %.1fx\n", float64(median(res.api))/float64(median(res.cgroup)))
	fmt.Fprintf(out, "cgroup files alone (Read of %d located containers, sequential): %s, %s per container\n",
		res.containers, ms(res.filesOnly), (res.filesOnly / time.Duration(res.containers)).Round(time.Microsecond))
}

// median of durations (the lower middle one for an even count).
func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// ms prints a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
