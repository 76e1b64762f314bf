package cgroupstats_test

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/dockwatch/dockwatch/internal/cgroupstats"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestReadMatchesTheDaemonsOwnSample compares the raw documents: the
// daemon's one-shot stats answer for a container and a Read of the same
// container right after it. Counters since boot make a wrong formula (a
// wrong USER_HZ, steal counted, microseconds taken for nanoseconds) show as
// a difference of orders of magnitude, far outside these bounds.
func TestReadMatchesTheDaemonsOwnSample(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{})
	id := d.RunIdle(t, "idle", "-m", "64m")
	reader := cgroupstats.NewReader("", "")
	loc, err := reader.Locate(describe(t, d, id))
	if err != nil {
		t.Fatal(err)
	}
	theirs := daemonSample(t, d, id)
	ours, err := reader.Read(loc)
	if err != nil {
		t.Fatal(err)
	}
	gap := ours.Read.Sub(theirs.Read) // the daemon's sample is from its last collector tick
	t.Logf("%.0f ms apart; system_cpu_usage daemon %d ours %d; total_usage daemon %d ours %d; online CPUs %d/%d",
		gap.Seconds()*1000, theirs.CPUStats.SystemUsage, ours.CPUStats.SystemUsage,
		theirs.CPUStats.CPUUsage.TotalUsage, ours.CPUStats.CPUUsage.TotalUsage, theirs.CPUStats.OnlineCPUs, ours.CPUStats.OnlineCPUs)

	cpus := float64(ours.CPUStats.OnlineCPUs)
	if ours.CPUStats.OnlineCPUs != theirs.CPUStats.OnlineCPUs {
		t.Errorf("online_cpus %d, daemon %d", ours.CPUStats.OnlineCPUs, theirs.CPUStats.OnlineCPUs)
	}
	// The host counter advances by at most the elapsed time on every CPU
	// (plus a 10 ms tick of rounding per CPU).
	systemDiff := float64(ours.CPUStats.SystemUsage) - float64(theirs.CPUStats.SystemUsage)
	if bound := (gap.Seconds() + 0.02) * cpus * 1e9; systemDiff < -0.02*cpus*1e9 || systemDiff > bound {
		t.Errorf("system_cpu_usage %d vs daemon %d: %.0f ns apart, want within [0, %.0f]", ours.CPUStats.SystemUsage, theirs.CPUStats.SystemUsage, systemDiff, bound)
	}
	// An idle container uses far less than 50 ms of CPU in that time.
	if diff := float64(ours.CPUStats.CPUUsage.TotalUsage) - float64(theirs.CPUStats.CPUUsage.TotalUsage); diff < 0 || diff > 50e6 {
		t.Errorf("total_usage %d vs daemon %d", ours.CPUStats.CPUUsage.TotalUsage, theirs.CPUStats.CPUUsage.TotalUsage)
	}
	compareMemoryAndRest(t, ours, theirs)
}

// compareMemoryAndRest checks the figures that do not count time.
func compareMemoryAndRest(t *testing.T, ours, theirs *container.StatsResponse) {
	t.Helper()
	om, tm := ours.MemoryStats, theirs.MemoryStats
	if om.Limit != tm.Limit || om.Limit != 64<<20 {
		t.Errorf("memory limit %d, daemon %d, want both 64 MiB", om.Limit, tm.Limit)
	}
	if diff := math.Abs(float64(om.Usage) - float64(tm.Usage)); diff > math.Max(0.03*float64(tm.Usage), 256<<10) {
		t.Errorf("memory usage %d vs daemon %d", om.Usage, tm.Usage)
	}
	for key := range tm.Stats { // the daemon copies a subset of memory.stat
		if _, ok := om.Stats[key]; !ok {
			t.Errorf("memory stat %s is in the daemon's sample, not in ours", key)
		}
	}
	if ours.PidsStats.Current != theirs.PidsStats.Current || ours.PidsStats.Current == 0 {
		t.Errorf("pids %d, daemon %d", ours.PidsStats.Current, theirs.PidsStats.Current)
	}
	if len(ours.Networks) != len(theirs.Networks) {
		t.Errorf("networks %v, daemon %v (--network none has none)", ours.Networks, theirs.Networks)
	}
}

// describe gathers what Locate needs from docker info and inspect.
func describe(t *testing.T, d *dockertest.Daemon, id string) cgroupstats.Container {
	t.Helper()
	info := strings.Fields(d.Docker(t, "info", "--format", "{{.CgroupDriver}} {{.CgroupVersion}}"))
	pid, err := strconv.Atoi(d.Docker(t, "inspect", "--format", "{{.State.Pid}}", id))
	if err != nil || len(info) != 2 {
		t.Fatalf("info %v, pid: %v", info, err)
	}
	return cgroupstats.Container{ID: id, Pid: pid, CgroupDriver: info[0], CgroupVersion: info[1], NetworkMode: "none"}
}

// daemonSample asks the daemon for a one-shot stats document.
func daemonSample(t *testing.T, d *dockertest.Daemon, id string) *container.StatsResponse {
	t.Helper()
	c, err := client.NewClientWithOpts(client.WithHost(d.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.ContainerStatsOneShot(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return &s
}
