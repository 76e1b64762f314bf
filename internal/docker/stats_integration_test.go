package docker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// Tolerances against a real daemon on a shared 2-core machine.
const (
	// busyCPULow/High is what the issue asks a one-core busy loop to read.
	busyCPULow, busyCPUHigh = 90.0, 110.0
	// cpuAttempts is how many snapshot pairs may be taken to get one reading
	// inside the band: other tests on the machine can steal the core for a
	// second, which is load, not a wrong formula.
	cpuAttempts = 5
	// cpuAgreement is how far our CPU % may be from docker stats' for the
	// same container over overlapping (not identical) one-second windows.
	cpuAgreement = 15.0
	// memAgreementFrac/Bytes bound the memory usage difference between our
	// sample and docker stats' (which prints only four significant digits).
	memAgreementFrac, memAgreementBytes = 0.05, 256 << 10
)

// TestRealDaemonStats checks figures from a real dockerd on its unix
// socket: a busy loop reads one core, a -m 64m container shows 64 MiB, and
// everything agrees with `docker stats --no-stream` on the same containers.
func TestRealDaemonStats(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{})
	d.RunBusy(t, "busy")
	d.RunIdle(t, "idle", "-m", "64m")
	c := newRealClient(t, docker.Config{Endpoint: d.Host})
	sel := docker.Selection{Include: []string{"busy", "idle"}}
	snapshot(t, c, sel) // baseline for the CPU deltas

	t.Run("busy container reads about one core", func(t *testing.T) {
		readings := busyCPUReadings(t, c, sel)
		t.Logf("busy container CPU readings: %v (band %.0f-%.0f%%)", readings, busyCPULow, busyCPUHigh)
		last := readings[len(readings)-1]
		if last < busyCPULow || last > busyCPUHigh {
			t.Errorf("no reading of %d inside %.0f-%.0f%%: %v", cpuAttempts, busyCPULow, busyCPUHigh, readings)
		}
	})
	t.Run("memory limit of -m 64m", func(t *testing.T) {
		idle := find(t, snapshot(t, c, sel), "idle")
		if idle.MemoryLimitBytes != 64<<20 {
			t.Errorf("memory limit = %d bytes, want %d (64 MiB)", idle.MemoryLimitBytes, 64<<20)
		}
		if idle.MemoryUsageBytes == 0 || idle.MemoryUsageBytes >= 64<<20 {
			t.Errorf("memory usage = %d bytes, want between 0 and the limit", idle.MemoryUsageBytes)
		}
	})
	t.Run("a daemon older than API 1.41 is sampled twice per request", func(t *testing.T) {
		// Pinning 1.40 makes the real daemon behave as a pre-one-shot one:
		// stream=false waits for a second collector sample and fills
		// precpu_stats, so even a new client's first snapshot has CPU.
		var readings []float64
		for i := 0; i < cpuAttempts; i++ {
			fresh := newRealClient(t, docker.Config{Endpoint: d.Host, APIVersion: "1.40"})
			cpu := find(t, snapshot(t, fresh, sel), "busy").CPUPercent
			if cpu == nil {
				t.Fatal("first snapshot on API 1.40 has no CPU figure: the two-sample fallback did not run")
			}
			readings = append(readings, math.Round(*cpu*10)/10)
			if *cpu >= busyCPULow && *cpu <= busyCPUHigh {
				break
			}
		}
		t.Logf("busy container CPU on API 1.40, first snapshots: %v", readings)
		if last := readings[len(readings)-1]; last < busyCPULow || last > busyCPUHigh {
			t.Errorf("no reading of %d inside %.0f-%.0f%%: %v", cpuAttempts, busyCPULow, busyCPUHigh, readings)
		}
	})
	t.Run("figures agree with docker stats", func(t *testing.T) {
		ours, theirs := sideBySide(t, d, c, sel)
		for _, name := range []string{"busy", "idle"} {
			compareWithDocker(t, find(t, ours, name), theirs[name])
		}
	})
}

// busyCPUReadings takes up to cpuAttempts snapshot pairs about a second
// apart and returns the busy container's readings, stopping at the first
// inside the band (so the last one decides).
func busyCPUReadings(t *testing.T, c *docker.Client, sel docker.Selection) []float64 {
	t.Helper()
	var readings []float64
	for i := 0; i < cpuAttempts; i++ {
		time.Sleep(time.Second)
		cpu := find(t, snapshot(t, c, sel), "busy").CPUPercent
		if cpu == nil {
			t.Fatal("busy container has no CPU figure on a warm client")
		}
		readings = append(readings, math.Round(*cpu*10)/10)
		if *cpu >= busyCPULow && *cpu <= busyCPUHigh {
			break
		}
	}
	return readings
}

// dockerStatsLine is one line of `docker stats --format '{{json .}}'`.
type dockerStatsLine struct {
	Name, CPUPerc, MemUsage, MemPerc, PIDs string
}

// sideBySide runs `docker stats --no-stream` while the client takes its
// own snapshot, so both measure nearly the same second.
func sideBySide(t *testing.T, d *dockertest.Daemon, c *docker.Client, sel docker.Selection) (*docker.Snapshot, map[string]dockerStatsLine) {
	t.Helper()
	type out struct {
		text string
		err  error
	}
	done := make(chan out, 1)
	go func() {
		text, err := d.TryDocker("stats", "--no-stream", "--format", "{{json .}}", "busy", "idle")
		done <- out{text, err}
	}()
	time.Sleep(time.Second) // docker stats' window is its first to second sample
	ours := snapshot(t, c, sel)
	res := <-done
	if res.err != nil {
		t.Fatalf("docker stats: %v", res.err)
	}
	theirs := map[string]dockerStatsLine{}
	for _, line := range strings.Split(res.text, "\n") {
		var l dockerStatsLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("parse docker stats line %q: %v", line, err)
		}
		theirs[l.Name] = l
	}
	return ours, theirs
}

// compareWithDocker checks one container against docker stats' line.
func compareWithDocker(t *testing.T, ours docker.ContainerStats, theirs dockerStatsLine) {
	t.Helper()
	usage, limit := parseMemUsage(t, theirs.MemUsage)
	dockerCPU := parsePercent(t, theirs.CPUPerc)
	t.Logf("%s: dockwatch CPU %s mem %d/%d pids %d | docker stats CPU %s mem %s pids %s",
		ours.Name, fmtCPU(ours.CPUPercent), ours.MemoryUsageBytes, ours.MemoryLimitBytes, ours.PIDs,
		theirs.CPUPerc, theirs.MemUsage, theirs.PIDs)
	if ours.CPUPercent == nil || math.Abs(*ours.CPUPercent-dockerCPU) > cpuAgreement {
		t.Errorf("%s: CPU %s vs docker stats %s: more than %.0f points apart", ours.Name, fmtCPU(ours.CPUPercent), theirs.CPUPerc, cpuAgreement)
	}
	if diff := math.Abs(float64(ours.MemoryUsageBytes) - usage); diff > math.Max(memAgreementFrac*usage, memAgreementBytes) {
		t.Errorf("%s: memory usage %d vs docker stats %s: %.0f bytes apart", ours.Name, ours.MemoryUsageBytes, theirs.MemUsage, diff)
	}
	if math.Abs(float64(ours.MemoryLimitBytes)-limit) > limit*0.001 {
		t.Errorf("%s: memory limit %d vs docker stats %s", ours.Name, ours.MemoryLimitBytes, theirs.MemUsage)
	}
	if strconv.FormatUint(ours.PIDs, 10) != theirs.PIDs {
		t.Errorf("%s: PIDs %d vs docker stats %s", ours.Name, ours.PIDs, theirs.PIDs)
	}
}

// parseMemUsage reads docker's "1.5MiB / 64MiB" back into bytes.
func parseMemUsage(t *testing.T, s string) (usage, limit float64) {
	t.Helper()
	used, lim, ok := strings.Cut(s, " / ")
	if !ok {
		t.Fatalf("MemUsage %q is not USAGE / LIMIT", s)
	}
	return parseBinarySize(t, used), parseBinarySize(t, lim)
}

// parseBinarySize reads "64MiB", "1.5KiB", "0B".
func parseBinarySize(t *testing.T, s string) float64 {
	t.Helper()
	units := []string{"KiB", "MiB", "GiB", "TiB", "B"}
	factors := []float64{1 << 10, 1 << 20, 1 << 30, 1 << 40, 1}
	for i, u := range units {
		if num, ok := strings.CutSuffix(s, u); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				t.Fatalf("size %q: %v", s, err)
			}
			return v * factors[i]
		}
	}
	t.Fatalf("size %q has no known unit", s)
	return 0
}

// parsePercent reads docker's "99.87%".
func parsePercent(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		t.Fatalf("percent %q: %v", s, err)
	}
	return v
}

// fmtCPU prints a CPU figure that may be unknown.
func fmtCPU(p *float64) string {
	if p == nil {
		return "unknown"
	}
	return fmt.Sprintf("%.2f%%", *p)
}

// newRealClient builds a client closed at the end of the test.
func newRealClient(t *testing.T, cfg docker.Config) *docker.Client {
	t.Helper()
	c, err := docker.New(cfg)
	if err != nil {
		t.Fatalf("docker.New(%s): %v", cfg.Endpoint, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// snapshot takes one snapshot and fails the test on error.
func snapshot(t *testing.T, c *docker.Client, sel docker.Selection) *docker.Snapshot {
	t.Helper()
	snap, err := c.Snapshot(context.Background(), sel)
	if err != nil {
		t.Fatalf("snapshot of %s: %v", c.Endpoint(), err)
	}
	return snap
}

// find returns the named container of a snapshot.
func find(t *testing.T, snap *docker.Snapshot, name string) docker.ContainerStats {
	t.Helper()
	for _, c := range snap.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("container %s not in snapshot (containers %d, skipped %v)", name, len(snap.Containers), snap.Skipped)
	return docker.ContainerStats{}
}
