package docker_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// How closely the cgroup source must agree with the API source on the same
// containers. The API's sample is the daemon's reading at its collector
// tick; ours is taken right after that answer arrives, so memory, PIDs and
// limits describe the same moment and CPU windows overlap almost entirely.
const (
	// sourceCPUAgreement is in percentage points of one core.
	sourceCPUAgreement = 15.0
	// sourceMemFrac/Bytes bound the memory usage difference (a few pages
	// can move between the two reads).
	sourceMemFrac, sourceMemBytes = 0.03, 256 << 10
	// sourceBlockFrac/Bytes bound block I/O differences; 0 and 0 agree.
	sourceBlockFrac, sourceBlockBytes = 0.05, 64 << 10
	// sourceAttempts is how many snapshot pairs may be taken to get one in
	// agreement: another test can steal a core for one of the two windows.
	sourceAttempts = 4
)

// TestCgroupSourceAgreesWithTheAPI samples the same three containers (a
// busy loop, an idle one with -m 64m, one that wrote 20 MiB with fsync)
// through both stats sources of one daemon and compares every figure.
func TestCgroupSourceAgreesWithTheAPI(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{})
	d.RunBusy(t, "busy")
	d.RunIdle(t, "idle", "-m", "64m")
	d.RunIdle(t, "io")
	d.Docker(t, "exec", "io", "dd", "if=/dev/zero", "of=/tmp/x", "bs=1M", "count=20", "conv=fsync")
	api := newRealClient(t, docker.Config{Endpoint: d.Host})
	cg := newRealClient(t, docker.Config{Endpoint: d.Host, StatsSource: docker.StatsSourceCgroup})
	sel := docker.Selection{Include: []string{"busy", "idle", "io"}}
	snapshotPair(t, api, cg, sel) // baselines for the CPU deltas

	t.Run("same figures from both sources", func(t *testing.T) {
		var problems []string
		for i := 1; i <= sourceAttempts; i++ {
			time.Sleep(time.Second)
			fromAPI, fromCgroup := snapshotPair(t, api, cg, sel)
			problems = nil
			for _, name := range []string{"busy", "idle", "io"} {
				a, c := find(t, fromAPI, name), find(t, fromCgroup, name)
				t.Logf("attempt %d %s: api %s | cgroup %s", i, name, describe(a), describe(c))
				problems = append(problems, disagreements(a, c)...)
			}
			if len(problems) == 0 {
				return
			}
		}
		for _, p := range problems {
			t.Error(p)
		}
	})
	t.Run("a restarted container is read from its new processes", func(t *testing.T) {
		d.Docker(t, "restart", "--time", "1", "idle")
		idle := find(t, snapshot(t, cg, sel), "idle")
		if idle.MemoryLimitBytes != 64<<20 || idle.PIDs == 0 {
			t.Errorf("after restart: limit %d, PIDs %d, want 64 MiB and the new processes", idle.MemoryLimitBytes, idle.PIDs)
		}
	})
}

// snapshotPair takes an API snapshot and, as soon as it returns (just
// after the daemon's collector tick), a cgroup snapshot.
func snapshotPair(t *testing.T, api, cg *docker.Client, sel docker.Selection) (fromAPI, fromCgroup *docker.Snapshot) {
	t.Helper()
	fromAPI = snapshot(t, api, sel)
	fromCgroup = snapshot(t, cg, sel)
	if len(fromCgroup.Skipped) > 0 {
		t.Fatalf("cgroup source skipped %+v", fromCgroup.Skipped)
	}
	return fromAPI, fromCgroup
}

// describe prints one container's figures for the test log.
func describe(c docker.ContainerStats) string {
	return fmt.Sprintf("CPU %s mem %d/%d pids %d blk %d/%d net %d/%d", fmtCPU(c.CPUPercent),
		c.MemoryUsageBytes, c.MemoryLimitBytes, c.PIDs, c.BlockReadBytes, c.BlockWriteBytes, c.NetRxBytes, c.NetTxBytes)
}

// disagreements lists every figure where the cgroup source's reading of a
// container is outside the tolerance of the API's.
func disagreements(a, c docker.ContainerStats) []string {
	var out []string
	add := func(format string, args ...any) {
		out = append(out, a.Name+": "+fmt.Sprintf(format, args...))
	}
	if a.CPUPercent == nil || c.CPUPercent == nil || math.Abs(*a.CPUPercent-*c.CPUPercent) > sourceCPUAgreement {
		add("CPU api %s vs cgroup %s: more than %.0f points apart", fmtCPU(a.CPUPercent), fmtCPU(c.CPUPercent), sourceCPUAgreement)
	}
	if !near(a.MemoryUsageBytes, c.MemoryUsageBytes, sourceMemFrac, sourceMemBytes) {
		add("memory usage api %d vs cgroup %d", a.MemoryUsageBytes, c.MemoryUsageBytes)
	}
	if a.MemoryLimitBytes != c.MemoryLimitBytes || a.PIDs != c.PIDs {
		add("limit api %d vs cgroup %d, PIDs api %d vs cgroup %d (both must be equal)", a.MemoryLimitBytes, c.MemoryLimitBytes, a.PIDs, c.PIDs)
	}
	if !near(a.BlockReadBytes, c.BlockReadBytes, sourceBlockFrac, sourceBlockBytes) ||
		!near(a.BlockWriteBytes, c.BlockWriteBytes, sourceBlockFrac, sourceBlockBytes) {
		add("block I/O api %d/%d vs cgroup %d/%d", a.BlockReadBytes, a.BlockWriteBytes, c.BlockReadBytes, c.BlockWriteBytes)
	}
	if a.NetRxBytes != c.NetRxBytes || a.NetTxBytes != c.NetTxBytes {
		add("network api %d/%d vs cgroup %d/%d", a.NetRxBytes, a.NetTxBytes, c.NetRxBytes, c.NetTxBytes)
	}
	return out
}

// near reports whether two byte counts differ by at most frac of the
// larger one or by bytes, whichever is more lenient.
func near(a, b uint64, frac float64, bytes uint64) bool {
	diff := math.Abs(float64(a) - float64(b))
	return diff <= math.Max(frac*float64(max(a, b)), float64(bytes))
}
