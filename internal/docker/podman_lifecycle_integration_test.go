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

// TestRealPodmanEventLogAndInspectOfAnExit reads, from a real Podman
// service, the event log window the lifecycle alerts read: a container
// that exits 7 dies with exit code 7, a removed one is destroyed, nothing
// after until is returned, and inspect gives the exit code and the restart
// count of an on-failure container.
func TestRealPodmanEventLogAndInspectOfAnExit(t *testing.T) {
	dockertest.RequirePodman(t)
	p := dockertest.StartPodman(t)
	img := p.Image(t)
	c := newRealClient(t, docker.Config{Endpoint: p.Host, Timeout: podmanCallTimeout})
	snapshot(t, c, docker.Selection{}) // identifies the engine, as a poll does first
	since := time.Now().Add(-time.Second)
	sevenID := p.Podman(t, "run", "-d", "--name", "seven", "--network", "none", img, "sh", "-c", "sleep 1; exit 7")
	rsID := p.Podman(t, "run", "-d", "--name", "rs", "--network", "none", "--restart", "on-failure:2", img, "sh", "-c", "sleep 1; exit 3")
	p.Podman(t, "run", "-d", "--name", "gone", "--network", "none", img, "true")
	waitPodmanExited(t, p, "seven", "gone")
	p.Podman(t, "rm", "gone")
	until := time.Now()
	p.Podman(t, "run", "-d", "--name", "late", "--network", "none", img, "true")
	waitPodmanExited(t, p, "late")

	res, err := c.ContainerEvents(context.Background(), since, until, eventlog.Limits{})
	if err != nil || res.Cut != eventlog.CutNone && res.Cut != eventlog.CutUntil {
		t.Fatalf("ContainerEvents = %+v, %v", res, err)
	}
	got := map[string][]string{}
	for _, ev := range res.Events {
		got[ev.Name] = append(got[ev.Name], ev.Action+ev.ExitCode)
	}
	t.Logf("events in the window (cut %q): %v", res.Cut, got)
	if s := strings.Join(got["seven"], " "); !strings.Contains(s, "create start die7") {
		t.Errorf("seven events %q, want create, start, die with exit code 7", s)
	}
	if s := strings.Join(got["gone"], " "); !strings.Contains(s, "die0 destroy") {
		t.Errorf("gone events %q, want die 0 then destroy", s)
	}
	if s := got["late"]; len(s) > 0 {
		t.Errorf("late events %q, want none: late was created after until", s)
	}
	checkPodmanInspect(t, c, sevenID, rsID)
}

// checkPodmanInspect checks inspect's state of the exit-7 container and of
// the on-failure:2 container once Podman has given up restarting it.
func checkPodmanInspect(t *testing.T, c *docker.Client, sevenID, rsID string) {
	t.Helper()
	seven, err := c.InspectState(context.Background(), sevenID)
	t.Logf("seven: %+v", seven)
	if err != nil || seven.Status != "exited" || seven.ExitCode != 7 || seven.FinishedAt.IsZero() || seven.RestartCount != 0 {
		t.Errorf("InspectState(seven) = %+v, %v; want exited, exit 7, a finish time, 0 restarts", seven, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var rs docker.ContainerState
	for time.Now().Before(deadline) {
		if rs, err = c.InspectState(context.Background(), rsID); err == nil && rs.RestartCount == 2 && !rs.Running && rs.Status == "exited" {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("rs: %+v", rs)
	if err != nil || rs.RestartCount != 2 || rs.ExitCode != 3 {
		t.Errorf("InspectState(rs) = %+v, %v; want 2 restarts (on-failure:2) and exit 3", rs, err)
	}
}

// waitPodmanExited waits until the named containers have exited.
func waitPodmanExited(t *testing.T, p *dockertest.Podman, names ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, name := range names {
		for strings.TrimSpace(p.Podman(t, "inspect", "-f", "{{.State.Status}}", name)) != "exited" {
			if time.Now().After(deadline) {
				t.Fatalf("podman container %s has not exited after 60s", name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}
