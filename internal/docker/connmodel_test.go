package docker

import (
	"context"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
	"github.com/dockwatch/dockwatch/internal/fakefleet"
)

// TestPollsResumeTLSSessionsAndKeepFewConnectionsIdle polls a fake
// mutual-TLS Engine with 30 containers three times: only the first poll's
// connections may do full handshakes, later ones resume the daemon's
// session tickets; and after a poll at most idleConnsPerHost connections
// stay open.
func TestPollsResumeTLSSessionsAndKeepFewConnectionsIdle(t *testing.T) {
	certs := dockertest.NewCerts(t, dockertest.CertOptions{})
	serverTLS, err := fakefleet.ServerTLS(certs.CAPEM, certs.ServerCertPEM, certs.ServerKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := fakefleet.Start(fakefleet.Options{Hosts: 1, Containers: 30, TLS: serverTLS, Immediate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	c, err := New(Config{Endpoint: fleet.Daemons[0].Endpoint, TLS: &TLSMaterial{CA: certs.CAPEM, Cert: certs.CertPEM, Key: certs.KeyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if _, err := c.Snapshot(context.Background(), Selection{}); err != nil {
			t.Fatalf("poll %d: %v", i+1, err)
		}
		afterFirst := fleet.Counters()
		if i == 0 {
			// Wait for the first poll's session tickets to settle in the cache.
			time.Sleep(100 * time.Millisecond)
			t.Logf("after the first poll: %+v", afterFirst)
		}
	}
	got := fleet.Counters()
	t.Logf("after three polls: %+v", got)
	if got.ResumedHandshakes == 0 {
		t.Errorf("no resumed TLS handshakes in three polls: %+v", got)
	}
	if got.FullHandshakes > 31 {
		t.Errorf("%d full handshakes, want only the first poll's (at most 31): later polls must resume", got.FullHandshakes)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fleet.Counters().OpenConns > idleConnsPerHost && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if open := fleet.Counters().OpenConns; open > idleConnsPerHost {
		t.Errorf("%d connections open after the polls, want at most %d idle", open, idleConnsPerHost)
	}
}

// TestSpreadPollsReuseConnectionsAcrossTicks polls a ticking fake
// mutual-TLS Engine of 50 containers as the controller does: each poll
// after the first (which also takes the baselines) measures every
// container over 10 connections, 5 waves inside the 8 s container deadline
// (10 handshakes, resumed), not 50, and holds none once it ends.
func TestSpreadPollsReuseConnectionsAcrossTicks(t *testing.T) {
	certs := dockertest.NewCerts(t, dockertest.CertOptions{})
	serverTLS, err := fakefleet.ServerTLS(certs.CAPEM, certs.ServerCertPEM, certs.ServerKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := fakefleet.Start(fakefleet.Options{Hosts: 1, Containers: 50, TLS: serverTLS})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	c, err := New(Config{Endpoint: fleet.Daemons[0].Endpoint, Spread: true,
		TLS: &TLSMaterial{CA: certs.CAPEM, Cert: certs.CertPEM, Key: certs.KeyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var before fakefleet.Counters
	for i := range 3 {
		snap, err := c.Snapshot(context.Background(), Selection{})
		if err != nil {
			t.Fatalf("poll %d: %v", i+1, err)
		}
		got := fleet.Counters()
		handshakes := got.FullHandshakes + got.ResumedHandshakes - before.FullHandshakes - before.ResumedHandshakes
		t.Logf("poll %d: %d measured, %d skipped, %d handshakes (%+v)", i+1, len(snap.Containers), len(snap.Skipped), handshakes, got)
		if len(snap.Containers) != 50 {
			t.Errorf("poll %d measured %d containers, want all 50 (skipped: %v)", i+1, len(snap.Containers), snap.Skipped)
		}
		if i > 0 && handshakes > 11 {
			t.Errorf("poll %d did %d TLS handshakes, want at most 11 (10 connections and the list's)", i+1, handshakes)
		}
		before = got
	}
	if got := fleet.Counters(); got.FullHandshakes > 16 {
		t.Errorf("%d full handshakes in three polls, want only the first poll's: later ones resume", got.FullHandshakes)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fleet.Counters().OpenConns > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if open := fleet.Counters().OpenConns; open > 0 {
		t.Errorf("%d connections open after the polls, want none", open)
	}
}

// TestSpreadPollOfASlowDaemonIsMeasuredWhole polls, as the controller does
// (a spread client under a context of the default timeout), a fake Engine
// of 50 containers whose collector ticks take 1.4 s instead of 1 s: every
// container measured, with a CPU figure, on the first poll too, which
// samples each container twice (for its baseline, 100 requests) and must
// see the slower waves and keep more requests in flight to end inside the
// container deadline (8 s).
func TestSpreadPollOfASlowDaemonIsMeasuredWhole(t *testing.T) {
	_, c := slowDaemon(t, 1400*time.Millisecond)
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
		start := time.Now()
		snap, err := c.Snapshot(ctx, Selection{})
		cancel()
		if err != nil {
			t.Fatalf("poll %d: %v", i+1, err)
		}
		t.Logf("poll %d took %s: %d measured, %d skipped", i+1, time.Since(start).Round(time.Millisecond), len(snap.Containers), len(snap.Skipped))
		if len(snap.Skipped) > 0 {
			t.Errorf("poll %d left %d containers unmeasured, first: %v", i+1, len(snap.Skipped), snap.Skipped[0].Err)
		}
		for _, s := range snap.Containers {
			if s.CPUPercent == nil {
				t.Errorf("poll %d: container %s has no CPU figure", i+1, s.Name)
			}
		}
	}
}

// TestSpreadPollSendsEachWaveJustBeforeTheTick: a worker whose answer came
// at a collector tick sends its next request tickLead before the next
// tick, not at once, so a request (and the goroutine that waits for it)
// is in flight for a fraction of a tick instead of a whole one. Ticks of
// 2 s make the difference plain, and the measured poll starts 400 ms
// before a tick (the one before it ended at a tick), so its first wave
// waits little too: sent at once, the later waves' requests each wait the
// whole 2 s at the daemon (a mean near 1.7 s over the poll); sent just
// before the tick, about tickLead.
func TestSpreadPollSendsEachWaveJustBeforeTheTick(t *testing.T) {
	const tick = 2 * time.Second
	fleet, c := slowDaemon(t, tick)
	c.tick = tick
	poll := func() fakefleet.Counters {
		before := fleet.Counters()
		ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
		defer cancel()
		snap, err := c.Snapshot(ctx, Selection{})
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Skipped) > 0 {
			t.Errorf("%d containers unmeasured, first: %v", len(snap.Skipped), snap.Skipped[0].Err)
		}
		after := fleet.Counters()
		return fakefleet.Counters{Stats: after.Stats - before.Stats, StatsWait: after.StatsWait - before.StatsWait}
	}
	poll() // the baselines, ending at a tick
	time.Sleep(tick - 400*time.Millisecond)
	got := poll()
	if got.Stats == 0 {
		t.Fatal("the poll sent no stats request")
	}
	mean := got.StatsWait / time.Duration(got.Stats)
	t.Logf("%d stats requests waited %s for their tick on average", got.Stats, mean.Round(time.Millisecond))
	if mean > tick/2 {
		t.Errorf("stats requests waited %s for their tick on average, want well under the %s tick: later waves must be sent just before it", mean.Round(time.Millisecond), tick)
	}
}

// TestSlowAnswersGrowAPollOnlyFromTheSparePool: a poll grows past its
// first plan only with workers from the process-wide spare pool. Ticks of
// 1.8 s do not fit the first plan (5 waves of 10, 9 s) in the container
// deadline (8 s): with spares free the poll opens more connections; with
// the pool taken (as by a manager whose polls all run late) it keeps its
// first plan's 10.
func TestSlowAnswersGrowAPollOnlyFromTheSparePool(t *testing.T) {
	fleet, c := slowDaemon(t, 1800*time.Millisecond)
	poll := func() (conns int64) {
		before := fleet.Counters().TotalConns
		ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
		defer cancel()
		if _, err := c.Snapshot(ctx, Selection{}); err != nil {
			t.Fatal(err)
		}
		return fleet.Counters().TotalConns - before
	}
	poll() // the baselines
	firstPlan := int64((50 + maxSpreadWaves - 1) / maxSpreadWaves)
	if grown := poll(); grown <= firstPlan {
		t.Errorf("a poll of a slow daemon opened %d connections with spares free, want more than its first plan's %d", grown, firstPlan)
	}
	if !spareWorkers.TryAcquire(maxSpareWorkers) {
		t.Fatal("the spare pool is in use by another test")
	}
	defer spareWorkers.Release(maxSpareWorkers)
	if kept := poll(); kept > firstPlan {
		t.Errorf("a poll of a slow daemon opened %d connections with no spare free, want at most its first plan's %d", kept, firstPlan)
	}
}

// slowDaemon starts a plaintext fake Engine of 50 containers whose
// collector ticks take tick, and a spread client of it, as the
// controller's.
func slowDaemon(t *testing.T, tick time.Duration) (*fakefleet.Fleet, *Client) {
	t.Helper()
	fleet, err := fakefleet.Start(fakefleet.Options{Hosts: 1, Containers: 50, Tick: tick})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	c, err := New(Config{Endpoint: fleet.Daemons[0].Endpoint, Spread: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return fleet, c
}
