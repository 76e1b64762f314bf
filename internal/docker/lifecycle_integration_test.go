package docker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// oomScript needs 64 MiB in one process (tail holds its whole input when
// it has no newline), so under -m 16m --memory-swap 16m the kernel kills it.
const oomScript = "head -c 64m /dev/zero | tail"

// TestRealDaemonThrottlingOfACappedBurner: a loop under --cpus 0.2 is
// throttled in most CFS periods; an idle container under a quota in none.
func TestRealDaemonThrottlingOfACappedBurner(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{})
	d.RunBusy(t, "capped", "--cpus", "0.2")
	d.RunIdle(t, "idle", "--cpus", "0.5")
	c := newRealClient(t, docker.Config{Endpoint: d.Host})
	sel := docker.Selection{Include: []string{"capped", "idle"}}
	snapshot(t, c, sel) // baseline
	time.Sleep(2 * time.Second)
	snap := snapshot(t, c, sel)
	capped, idle := find(t, snap, "capped"), find(t, snap, "idle")
	if capped.CPUThrottledPercent == nil || idle.CPUThrottledPercent == nil {
		t.Fatalf("no throttling figure: capped %v, idle %v", capped.CPUThrottledPercent, idle.CPUThrottledPercent)
	}
	t.Logf("cpuThrottledPercent: capped (--cpus 0.2, busy) %.1f%%, idle (--cpus 0.5) %.1f%%", *capped.CPUThrottledPercent, *idle.CPUThrottledPercent)
	if *capped.CPUThrottledPercent < 50 {
		t.Errorf("capped burner throttled in %.1f%% of periods, want well above 0 (most of them)", *capped.CPUThrottledPercent)
	}
	if *idle.CPUThrottledPercent != 0 {
		t.Errorf("idle container throttled in %.1f%% of periods, want 0", *idle.CPUThrottledPercent)
	}
}

// TestRealDaemonEventLogOfAnOOMKillAndAStop reads what Engine 20.10 logs
// for an OOM kill, a docker stop and a failing health check (through the
// event filter), and what inspect then says.
func TestRealDaemonEventLogOfAnOOMKillAndAStop(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{})
	d.Image(t)
	c := newRealClient(t, docker.Config{Endpoint: d.Host})
	since := time.Now().Add(-time.Second)
	oomID := d.Docker(t, "run", "-d", "--name", "hog", "--network", "none", "-m", "16m", "--memory-swap", "16m",
		dockertest.ImageRef, "sh", "-c", oomScript)
	d.RunIdle(t, "calm")
	d.Docker(t, "stop", "calm")
	d.RunIdle(t, "sick", "--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1")
	waitExited(t, d, "hog")
	time.Sleep(3 * time.Second) // a few probes

	res, err := c.ContainerEvents(context.Background(), since, time.Now(), eventlog.Limits{})
	if err != nil || res.Cut != eventlog.CutNone {
		t.Fatalf("ContainerEvents = %+v, %v", res, err)
	}
	got := map[string][]string{}
	for _, ev := range res.Events {
		got[ev.Name] = append(got[ev.Name], ev.Action+ev.ExitCode)
	}
	t.Logf("events: %v", got)
	if s := strings.Join(got["hog"], " "); !strings.Contains(s, "oom") || !strings.Contains(s, "die137") {
		t.Errorf("hog events %q, want oom and die 137", s)
	}
	if s := strings.Join(got["calm"], " "); !strings.Contains(s, "kill die") {
		t.Errorf("calm events %q, want kill then die", s)
	}
	if s := strings.Join(got["sick"], " "); !strings.Contains(s, "health_status") || strings.Contains(s, "exec") {
		t.Errorf("sick events %q, want health_status and none of the probes' exec_* noise", s)
	}
	state, err := c.InspectState(context.Background(), oomID)
	if err != nil || !state.OOMKilled || state.ExitCode != 137 || state.FinishedAt.IsZero() || state.MemoryLimitBytes != 16<<20 {
		t.Errorf("InspectState = %+v, %v; want OOMKilled, exit 137, a finish time, 16 MiB limit", state, err)
	}
}

// waitExited waits until the named container is no longer running.
func waitExited(t *testing.T, d *dockertest.Daemon, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.TrimSpace(d.Docker(t, "inspect", "-f", "{{.State.Status}}", name)) == "exited" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("container %s still running after 30s", name)
}
