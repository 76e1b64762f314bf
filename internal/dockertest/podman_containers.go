package dockertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Image imports the busybox test image (the tarball the Docker harness
// imports) into this service's storage once and returns its reference.
func (p *Podman) Image(t TB) string {
	t.Helper()
	p.mu.Lock()
	done := p.imported
	p.mu.Unlock()
	if done {
		return PodmanImageRef
	}
	tarOnce.Do(func() { tarData, tarErr = busyboxTar() })
	if tarErr != nil {
		t.Fatalf("build test image tarball: %v", tarErr)
	}
	path := filepath.Join(p.Dir, "busybox.tar")
	if err := os.WriteFile(path, tarData, 0o644); err != nil {
		t.Fatalf("write image tarball: %v", err)
	}
	defer os.Remove(path)
	if _, err := p.TryPodman("import", "--change", `CMD ["/bin/sh"]`, path, PodmanImageRef); err != nil {
		t.Fatalf("import test image into podman %s: %v", p.Host, err)
	}
	p.mu.Lock()
	p.imported = true
	p.mu.Unlock()
	return PodmanImageRef
}

// RunBusy starts a container that burns one core, e.g. with "--cpus",
// "0.5" in extra (flags placed before the image; not --network), and
// returns its full ID.
func (p *Podman) RunBusy(t TB, name string, extra ...string) string {
	t.Helper()
	return p.run(t, name, extra, busyScript)
}

// RunIdle starts a container that sleeps forever, e.g. with "-m", "64m".
func (p *Podman) RunIdle(t TB, name string, extra ...string) string {
	t.Helper()
	return p.run(t, name, extra, idleScript)
}

// run starts one detached container without networking (the harness
// configures none).
func (p *Podman) run(t TB, name string, extra []string, script string) string {
	t.Helper()
	p.Image(t)
	args := append([]string{"run", "--detach", "--network", "none", "--name", name}, extra...)
	args = append(args, PodmanImageRef, "/bin/sh", "-c", script)
	id, err := p.TryPodman(args...)
	if err != nil {
		t.Fatalf("run podman container %q: %v", name, err)
	}
	return id
}

// WindowCPUPercent is podman's own CPU time counter over the wall time
// between two of its readings, ×100: the figure `podman stats` streams for
// that interval (its --no-stream CPU % averages since the container started).
func WindowCPUPercent(before, after PodmanStats) float64 {
	if !after.Read.After(before.Read) || after.CPUNanos < before.CPUNanos {
		return 0
	}
	return float64(after.CPUNanos-before.CPUNanos) / float64(after.Read.Sub(before.Read).Nanoseconds()) * 100
}

// PodmanStats is one container's line of `podman stats --no-stream`, with
// the raw numbers behind its formatted columns.
type PodmanStats struct {
	Name string
	// CPUPercent is podman's CPU %: on a first (--no-stream) sample it is
	// the container's CPU time since it started over the wall time since
	// then, so it equals AVG CPU %.
	CPUPercent float64
	// CPUNanos is the container's CPU time, nanoseconds.
	CPUNanos uint64
	// MemUsage and MemLimit are bytes (podman prints them in SI units).
	MemUsage, MemLimit uint64
	PIDs               uint64
	// Read is when podman read the container's cgroup (its SystemNano).
	Read time.Time
}

// podmanStatsFormat prints the embedded define.ContainerStats fields: the
// wrapper podman formats with has methods of the same names that return
// rounded strings.
const podmanStatsFormat = "{{.Name}}\t{{.ContainerStats.CPU}}\t{{.ContainerStats.CPUNano}}\t" +
	"{{.ContainerStats.MemUsage}}\t{{.ContainerStats.MemLimit}}\t{{.ContainerStats.PIDs}}\t{{.ContainerStats.SystemNano}}"

// Stats runs `podman stats --no-stream` for names and returns their lines
// by name, each with the moment podman read it.
func (p *Podman) Stats(t TB, names ...string) map[string]PodmanStats {
	t.Helper()
	args := append([]string{"stats", "--no-stream", "--no-reset", "--format", podmanStatsFormat}, names...)
	out, err := p.TryPodman(args...)
	if err != nil {
		t.Fatalf("podman stats: %v", err)
	}
	lines := map[string]PodmanStats{}
	for _, line := range strings.Split(out, "\n") {
		s, err := parsePodmanStats(line)
		if err != nil {
			t.Fatalf("parse podman stats line %q: %v", line, err)
		}
		lines[s.Name] = s
	}
	return lines
}

// parsePodmanStats reads one podmanStatsFormat line.
func parsePodmanStats(line string) (PodmanStats, error) {
	f := strings.Split(line, "\t")
	if len(f) != 7 {
		return PodmanStats{}, fmt.Errorf("%d fields, want 7", len(f))
	}
	s := PodmanStats{Name: f[0]}
	var err error
	if s.CPUPercent, err = strconv.ParseFloat(f[1], 64); err != nil {
		return s, err
	}
	var read uint64
	for i, dst := range []*uint64{&s.CPUNanos, &s.MemUsage, &s.MemLimit, &s.PIDs, &read} {
		if *dst, err = strconv.ParseUint(f[i+2], 10, 64); err != nil {
			return s, err
		}
	}
	s.Read = time.Unix(0, int64(read))
	return s, nil
}
