package controllers

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestHostileEndpointsBesideHealthyHostsKeepTheirSchedule runs one manager
// with six hostile Engines (a wedged container, an endless container list,
// megabyte strings, a daemon that never answers, slow-loris headers, 256
// stats documents just under the cap) beside two healthy ones, all at the
// shortest interval. The healthy hosts must keep being polled on schedule,
// and the process's peak heap must stay below 200 MiB, far under the
// manager's 512 MiB limit (this process also runs the fakes and the test's
// own clients).
func TestHostileEndpointsBesideHealthyHostsKeepTheirSchedule(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	startManager(t, Scope{})
	mem := dockertest.WatchMemory()

	wedged := dockertest.NewHostileAPI(t, "wedged", 5)
	wedged.HangStatsOf(0)
	endless := dockertest.NewHostileAPI(t, "endless", 3)
	endless.SetFault(dockertest.PathList, dockertest.Endless)
	mega := dockertest.NewHostileAPI(t, "mega", 3)
	mega.OversizeBytes = 1 << 20
	mega.SetFault(dockertest.PathVersion, dockertest.Oversized)
	hung := dockertest.NewHostileAPI(t, "hung", 3)
	for _, p := range dockertest.HostilePaths {
		hung.SetFault(p, dockertest.Hang)
	}
	loris := dockertest.NewHostileAPI(t, "loris", 3)
	loris.SetFault(dockertest.PathList, dockertest.SlowHeaders)
	wide := dockertest.NewHostileAPI(t, "wide", 256)
	wide.OversizeBytes = 120 << 10
	wide.SetFault(dockertest.PathStats, dockertest.Oversized)
	for name, h := range map[string]*dockertest.HostileAPI{"wedged": wedged, "endless": endless, "mega": mega, "hung": hung, "loris": loris, "wide": wide} {
		applyHost(t, plaintextHost(ns, name, h.Host, "3s"))
	}
	var healthy []client.ObjectKey
	for _, name := range []string{"healthy-a", "healthy-b"} {
		fake := dockertest.NewFakeAPI(t, name, 3)
		healthy = append(healthy, applyHost(t, plaintextHost(ns, name, fake.Host, "3s")))
	}

	const watch = 40 * time.Second
	polls := map[client.ObjectKey][]time.Time{}
	for end := time.Now().Add(watch); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		for _, key := range healthy {
			host := getHost(t, key)
			seen := polls[key]
			if lp := host.Status.LastPollTime; lp != nil && (len(seen) == 0 || !lp.Time.Equal(seen[len(seen)-1])) {
				polls[key] = append(seen, lp.Time)
			}
		}
	}
	heap, rss := mem.Finish()
	t.Logf("6 hostile hosts beside 2 healthy for %s: peak heap in use %.0f MiB, peak RSS %.0f MiB (fakes and test clients included)", watch, heap, rss)
	for _, key := range healthy {
		times := polls[key]
		// A 5s interval with up to 5% jitter: 40s holds 7 polls; one
		// start-up poll may be missed.
		if len(times) < 6 {
			t.Errorf("healthy host %s polled %d times in %s beside hostile ones, want at least 6", key.Name, len(times), watch)
		}
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap > 8*time.Second {
				t.Errorf("healthy host %s: %s between polls %d and %d, want about 5s", key.Name, gap, i, i+1)
			}
		}
	}
	if heap >= 200 {
		t.Errorf("peak heap %.0f MiB beside hostile hosts, want < 200 MiB", heap)
	}
}
