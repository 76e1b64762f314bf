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
	// podmanCPUAgreement is how far our CPU % may be from podman stats'
	// over the same window. Its --no-stream CPU % is an average since the
	// container started, so the test takes podman's CPU time counter from a
	// `podman stats --no-stream` just before and just after our two
	// snapshots; the two windows differ by the CLI's run time, about
	// 0.2-0.5 s in podmanAgreementWindow.
	podmanCPUAgreement = 10.0
	// podmanAgreementWindow is the wall time between our two snapshots
	// when comparing with podman stats.
	podmanAgreementWindow = 5 * time.Second
	// podmanCallTimeout bounds each call to the Podman service.
	podmanCallTimeout = 30 * time.Second
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
	// Podman answers /version by running conmon and runc; under load that
	// took more than the default 10s here.
	c := newRealClient(t, docker.Config{Endpoint: p.Host, Timeout: podmanCallTimeout})
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
	t.Run("half-core loop: limit figure from inspect, no throttle figure", func(t *testing.T) {
		snapshot(t, c, sel)
		time.Sleep(podmanWindow)
		checkHalfCoreFigures(t, find(t, snapshot(t, c, sel), "phalf"))
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
		agreeWithPodmanStats(t, p, c, sel, "pburn", "phalf", "pidle")
	})
}

// agreeWithPodmanStats takes two snapshots podmanAgreementWindow apart
// between two `podman stats` runs and compares each named container.
func agreeWithPodmanStats(t *testing.T, p *dockertest.Podman, c *docker.Client, sel docker.Selection, names ...string) {
	t.Helper()
	before := p.Stats(t, names...)
	snapshot(t, c, sel)
	time.Sleep(podmanAgreementWindow)
	ours := snapshot(t, c, sel)
	theirs := p.Stats(t, names...)
	for _, name := range names {
		window := dockertest.WindowCPUPercent(before[name], theirs[name])
		compareWithPodman(t, find(t, ours, name), theirs[name], window)
	}
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

// checkHalfCoreFigures checks a warm reading of the --cpus 0.5 loop: its
// CPU-limit figure is its CPU figure against inspect's 0.5 cores (twice
// it), and it has no throttle figure, because Podman 4.3.1 reports
// throttling_data zeros although the cgroup throttles the loop.
func checkHalfCoreFigures(t *testing.T, half docker.ContainerStats) {
	t.Helper()
	if half.CPUPercent == nil || half.CPULimitPercent == nil {
		t.Fatalf("phalf: CPU %s, limit %s; want both on a warm client", fmtCPU(half.CPUPercent), fmtCPU(half.CPULimitPercent))
	}
	t.Logf("phalf: CPU %.2f%%, CPU of its limit %.2f%%, throttled %v", *half.CPUPercent, *half.CPULimitPercent, half.CPUThrottledPercent)
	if want := 2 * *half.CPUPercent; math.Abs(*half.CPULimitPercent-want) > 0.01*want+0.01 {
		t.Errorf("phalf: CPU of its limit %.2f%%, want 2 × CPU = %.2f%% (--cpus 0.5 from inspect)", *half.CPULimitPercent, want)
	}
	if half.CPUThrottledPercent != nil {
		t.Errorf("phalf: throttled %.1f%%, want no figure (Podman reports no throttling_data)", *half.CPUThrottledPercent)
	}
}

// compareWithPodman checks one container against podman stats' line and
// its CPU figure over the same window (windowCPU).
func compareWithPodman(t *testing.T, ours docker.ContainerStats, theirs dockertest.PodmanStats, windowCPU float64) {
	t.Helper()
	t.Logf("%s: dockwatch CPU %s mem %d/%d pids %d | podman stats CPU %.2f%% over the window (%.2f%% since start) mem %d/%d pids %d",
		ours.Name, fmtCPU(ours.CPUPercent), ours.MemoryUsageBytes, ours.MemoryLimitBytes, ours.PIDs,
		windowCPU, theirs.CPUPercent, theirs.MemUsage, theirs.MemLimit, theirs.PIDs)
	if ours.CPUPercent == nil || math.Abs(*ours.CPUPercent-windowCPU) > podmanCPUAgreement {
		t.Errorf("%s: CPU %s vs podman stats %.2f%% over the same window: more than %.0f points apart",
			ours.Name, fmtCPU(ours.CPUPercent), windowCPU, podmanCPUAgreement)
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
