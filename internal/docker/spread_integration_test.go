package docker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestSpreadPollOfARealDaemonTimesItsWavesToTheTick polls a real Engine
// 20.10, as the controller does (a spread client under the default
// timeout), with 2 connections for 10 containers: 5 waves, each sent
// shortly before the daemon's next collector tick. A wave sent after its
// tick waits a whole tick more, and 5 such waves overrun the 8 s
// container deadline, so every container measured, with a CPU figure,
// shows the waves met their ticks on a real daemon's clock. The first
// poll only takes the baselines: it samples each container twice, which
// 2 connections cannot finish in time. (With each next wave sent 300 ms after
// the tick instead, polls took 7.9-8 s and left a container unmeasured.)
func TestSpreadPollOfARealDaemonTimesItsWavesToTheTick(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{})
	d.RunBusy(t, "wave-busy")
	for i := range 9 {
		d.RunIdle(t, fmt.Sprintf("wave-idle-%02d", i))
	}
	c := newRealClient(t, docker.Config{Endpoint: d.Host, Spread: true, MaxConcurrentStats: 2})
	sel := docker.Selection{Include: []string{"wave-*"}}
	ctx, cancel := context.WithTimeout(context.Background(), docker.DefaultTimeout)
	_, _ = c.Snapshot(ctx, sel)
	cancel()
	for poll := 2; poll <= 3; poll++ {
		ctx, cancel := context.WithTimeout(context.Background(), docker.DefaultTimeout)
		start := time.Now()
		snap, err := c.Snapshot(ctx, sel)
		cancel()
		if err != nil {
			t.Fatalf("poll %d: %v", poll, err)
		}
		t.Logf("poll %d took %s: %d measured, %d skipped", poll, time.Since(start).Round(time.Millisecond), len(snap.Containers), len(snap.Skipped))
		if len(snap.Skipped) > 0 {
			t.Errorf("poll %d left %d containers unmeasured, first: %v", poll, len(snap.Skipped), snap.Skipped[0].Err)
		}
		if len(snap.Containers) != 10 {
			t.Errorf("poll %d measured %d containers, want 10", poll, len(snap.Containers))
		}
		for _, s := range snap.Containers {
			if s.CPUPercent == nil {
				t.Errorf("poll %d: container %s has no CPU figure", poll, s.Name)
			}
		}
	}
}
