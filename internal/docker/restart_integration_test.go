package docker_test

import (
	"context"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestFaultDaemonRestartMidPoll restarts a real daemon while a poll is in
// flight: that poll ends before its deadline (an error naming the endpoint,
// or the containers it could measure), and the next poll after the daemon
// is back measures every container again over fresh connections.
func TestFaultDaemonRestartMidPoll(t *testing.T) {
	dockertest.Require(t)
	d := dockertest.Start(t, dockertest.Options{})
	d.RunMany(t, "idle", 3)
	c := newRealClient(t, docker.Config{Endpoint: d.Host})
	const timeout = 10 * time.Second

	type outcome struct {
		snap *docker.Snapshot
		err  error
		took time.Duration
	}
	done := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		snap, err := c.Snapshot(ctx, docker.Selection{})
		done <- outcome{snap, err, time.Since(start)}
	}()
	time.Sleep(300 * time.Millisecond) // the first poll waits a tick for its second samples
	d.Restart(t)
	mid := <-done
	t.Logf("poll across the restart: took %s, error %v", mid.took.Round(time.Millisecond), mid.err)
	if mid.took > timeout+time.Second {
		t.Errorf("the poll across the restart took %s, past its %s deadline", mid.took, timeout)
	}
	if mid.err == nil && len(mid.snap.Containers)+len(mid.snap.Skipped) != 3 {
		t.Errorf("the poll across the restart lost containers: %d measured, %d skipped", len(mid.snap.Containers), len(mid.snap.Skipped))
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	after, err := c.Snapshot(ctx, docker.Selection{})
	if err != nil {
		t.Fatalf("first poll after the restart: %v", err)
	}
	if len(after.Containers) != 3 || len(after.Skipped) != 0 {
		t.Fatalf("after the restart: %d measured, skipped %+v; want all 3", len(after.Containers), after.Skipped)
	}
}
