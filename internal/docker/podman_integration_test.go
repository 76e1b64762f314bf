package docker_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// Bands and tolerances for Podman, on the same shared machine as the
// Docker tests.
const (
	// halfCPULow/High is what a --cpus 0.5 busy loop must read.
	halfCPULow, halfCPUHigh = 40.0, 60.0
	// podmanWindow is the wall time between the snapshots of a reading.
	podmanWindow = 2 * time.Second
	// podmanCPUAgreement is how far our CPU % may be from podman stats'.
	// Its --no-stream figure is the container's CPU time since it started
	// over the wall time since then, ours the last podmanWindow: for a
	// steady loop they differ by what the load did in between.
	podmanCPUAgreement = 10.0
)

// TestRealPodmanStats runs a one-core loop, a --cpus 0.5 loop and a
// -m 64m sleeper on a real Podman service and checks that dockwatch
// recognises Podman, reads the loops as one and half a core although
// Podman's host counter would say otherwise, shows the memory limit
// exactly, and agrees with `podman stats --no-stream` in the same second.
func TestRealPodmanStats(t *testing.T) {
	dockertest.RequirePodman(t)
	p := dockertest.StartPodman(t)
	p.RunBusy(t, "pburn")
	p.RunBusy(t, "phalf", "--cpus", "0.5")
	p.RunIdle(t, "pidle", "-m", "64m")
	c := newRealClient(t, docker.Config{Endpoint: p.Host})
	sel := docker.Selection{Include: []string{"pburn", "phalf", "pidle"}}

	t.Run("the engine is Podman", func(t *testing.T) {
		info, err := c.Ping(context.Background())
		if err != nil {
			t.Fatalf("ping %s: %v", p.Host, err)
		}
		if info.Engine != docker.EnginePodman || info.EngineVersion == "" {
			t.Errorf("engine %q %q, want %q and its version", info.Engine, info.EngineVersion, docker.EnginePodman)
		}
	})
	t.Run("a first sample has no CPU figure, not a wrong one", func(t *testing.T) {
		// Podman leaves precpu_stats empty even for stream=false.
		for _, cs := range snapshot(t, c, sel).Containers {
			if cs.CPUPercent != nil {
				t.Errorf("%s: CPU %s on the first sample, want none", cs.Name, fmtCPU(cs.CPUPercent))
			}
		}
	})
	t.Run("one-core loop reads one core", func(t *testing.T) {
		readings := podmanCPUReadings(t, c, sel, "pburn", busyCPULow, busyCPUHigh)
		t.Logf("pburn CPU readings: %v (band %.0f-%.0f%%)", readings, busyCPULow, busyCPUHigh)
		if last := readings[len(readings)-1]; last < busyCPULow || last > busyCPUHigh {
			t.Errorf("no reading of %d inside %.0f-%.0f%%: %v", cpuAttempts, busyCPULow, busyCPUHigh, readings)
		}
	})
	t.Run("half-core loop reads half a core", func(t *testing.T) {
		readings := podmanCPUReadings(t, c, sel, "phalf", halfCPULow, halfCPUHigh)
		t.Logf("phalf CPU readings: %v (band %.0f-%.0f%%)", readings, halfCPULow, halfCPUHigh)
		if last := readings[len(readings)-1]; last < halfCPULow || last > halfCPUHigh {
			t.Errorf("no reading of %d inside %.0f-%.0f%%: %v", cpuAttempts, halfCPULow, halfCPUHigh, readings)
		}
	})
	t.Run("memory limit of -m 64m", func(t *testing.T) {
		idle := find(t, snapshot(t, c, sel), "pidle")
		if idle.MemoryLimitBytes != 64<<20 {
			t.Errorf("memory limit = %d bytes, want %d (64 MiB)", idle.MemoryLimitBytes, 64<<20)
		}
		if idle.MemoryUsageBytes == 0 || idle.MemoryUsageBytes >= 64<<20 {
			t.Errorf("memory usage = %d bytes, want between 0 and the limit", idle.MemoryUsageBytes)
		}
	})
	t.Run("figures agree with podman stats", func(t *testing.T) {
		snapshot(t, c, sel)
		time.Sleep(podmanWindow)
		ours := snapshot(t, c, sel)
		theirs, _ := p.Stats(t, "pburn", "phalf", "pidle")
		for _, name := range []string{"pburn", "phalf", "pidle"} {
			compareWithPodman(t, find(t, ours, name), theirs[name])
		}
	})
}

// podmanCPUReadings takes up to cpuAttempts snapshot pairs podmanWindow
// apart and returns name's readings, stopping at the first inside the band.
func podmanCPUReadings(t *testing.T, c *docker.Client, sel docker.Selection, name string, low, high float64) []float64 {
	t.Helper()
	var readings []float64
	snapshot(t, c, sel)
	for i := 0; i < cpuAttempts; i++ {
		time.Sleep(podmanWindow)
		cpu := find(t, snapshot(t, c, sel), name).CPUPercent
		if cpu == nil {
			t.Fatalf("%s has no CPU figure on a warm client", name)
		}
		readings = append(readings, math.Round(*cpu*10)/10)
		if *cpu >= low && *cpu <= high {
			break
		}
	}
	return readings
}

// compareWithPodman checks one container against podman stats' line.
func compareWithPodman(t *testing.T, ours docker.ContainerStats, theirs dockertest.PodmanStats) {
	t.Helper()
	t.Logf("%s: dockwatch CPU %s mem %d/%d pids %d | podman stats CPU %.2f%% mem %d/%d pids %d",
		ours.Name, fmtCPU(ours.CPUPercent), ours.MemoryUsageBytes, ours.MemoryLimitBytes, ours.PIDs,
		theirs.CPUPercent, theirs.MemUsage, theirs.MemLimit, theirs.PIDs)
	if ours.CPUPercent == nil || math.Abs(*ours.CPUPercent-theirs.CPUPercent) > podmanCPUAgreement {
		t.Errorf("%s: CPU %s vs podman stats %.2f%%: more than %.0f points apart",
			ours.Name, fmtCPU(ours.CPUPercent), theirs.CPUPercent, podmanCPUAgreement)
	}
	usage := float64(theirs.MemUsage)
	if diff := math.Abs(float64(ours.MemoryUsageBytes) - usage); diff > math.Max(memAgreementFrac*usage, memAgreementBytes) {
		t.Errorf("%s: memory usage %d vs podman stats %d: %.0f bytes apart", ours.Name, ours.MemoryUsageBytes, theirs.MemUsage, diff)
	}
	if ours.MemoryLimitBytes != theirs.MemLimit {
		t.Errorf("%s: memory limit %d vs podman stats %d", ours.Name, ours.MemoryLimitBytes, theirs.MemLimit)
	}
	if ours.PIDs != theirs.PIDs {
		t.Errorf("%s: PIDs %d vs podman stats %d", ours.Name, ours.PIDs, theirs.PIDs)
	}
}
