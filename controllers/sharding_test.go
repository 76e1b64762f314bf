package controllers

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/fakefleet"
)

// Sharding test figures: 30 hosts at the minimum interval; a host must
// be polled again within takeoverBound of its owner's death (lease
// duration 15 s, one membership tick, one interval and one poll fit).
const (
	shardHosts    = 30
	shardInterval = 5 * time.Second
	takeoverBound = 30 * time.Second
	pollWindow    = 20 * time.Second
	// A replica that stops cleanly deletes its Lease, so its hosts go
	// without a poll for about one interval, far less than a lease
	// duration (15 s) they would wait if it did not.
	cleanStopBound = 12 * time.Second
	// terminationGrace is config/manager's terminationGracePeriodSeconds.
	terminationGrace = 30 * time.Second
)

// shardManager is one manager process of the sharded group.
type shardManager struct {
	identity, metrics, log string
	cmd                    *exec.Cmd
}

// TestShardedManagersSplitHostsAndHandOverWithoutDuplicateAlerts runs
// three manager processes with --sharding against one API server and a
// fake fleet of 30 hosts, each with one busy container that fires a CPU
// alert: every host is polled by exactly one manager; when one is killed
// its hosts are polled again within the bound; when it comes back the split
// rebalances; one stopped cleanly (SIGTERM) deletes its Lease and its hosts
// are polled again within about an interval; and no container's alert
// fires twice throughout.
func TestShardedManagersSplitHostsAndHandOverWithoutDuplicateAlerts(t *testing.T) {
	requireControlPlane(t)
	bin := buildManagerBinary(t)
	fleet, err := fakefleet.Start(fakefleet.Options{Hosts: shardHosts, Containers: 3, Busy: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	ns := newNamespace(t)
	group := "test-" + ns
	managers := make([]*shardManager, 3)
	for i := range managers {
		managers[i] = startShardManager(t, bin, ns, group, fmt.Sprintf("m-%d", i))
	}
	keys := createFleetHosts(t, ns, fleet)
	waitFor(t, 90*time.Second, "every host polled with its busy container's alert firing", func() (bool, string) {
		firing := countFiring(t, ns)
		return firing == shardHosts, fmt.Sprintf("%d of %d hosts firing", firing, shardHosts)
	})

	assertEachPolledOnce(t, fleet, "three replicas")
	assertOwnedSplit(t, group, managers, 3)

	killed := managers[0]
	_ = killed.cmd.Process.Kill()
	_ = killed.cmd.Wait()
	gap := longestPollGap(t, fleet, takeoverBound+10*time.Second)
	t.Logf("after killing %s: longest gap between two polls of a host %s (bound %s)", killed.identity, gap.Round(100*time.Millisecond), takeoverBound)
	if gap > takeoverBound {
		t.Errorf("a host went %s without a poll after its manager died, want <= %s", gap, takeoverBound)
	}
	assertEachPolledOnce(t, fleet, "two replicas after a kill")
	assertOwnedSplit(t, group, managers[1:], 2)
	assertOneAlertEventPerContainer(t, keys)

	managers[0] = startShardManager(t, bin, ns, group, killed.identity)
	waitFor(t, 30*time.Second, "the restarted replica to take its share", func() (bool, string) {
		owned := ownedBy(managers[0])
		return owned > 0, fmt.Sprintf("%s owns %d", managers[0].identity, owned)
	})
	time.Sleep(shardInterval)
	assertEachPolledOnce(t, fleet, "three replicas after a rejoin")
	assertOwnedSplit(t, group, managers, 3)
	assertOneAlertEventPerContainer(t, keys)

	stopCleanly(t, ns, managers[2])
	gap = longestPollGap(t, fleet, cleanStopBound+5*time.Second)
	t.Logf("after stopping %s cleanly: longest gap between two polls of a host %s (bound %s)", managers[2].identity, gap.Round(100*time.Millisecond), cleanStopBound)
	if gap > cleanStopBound {
		t.Errorf("a host went %s without a poll after its manager stopped cleanly, want <= %s", gap, cleanStopBound)
	}
	assertEachPolledOnce(t, fleet, "two replicas after a clean stop")
	assertOwnedSplit(t, group, managers[:2], 2)
	assertOneAlertEventPerContainer(t, keys)
}

// stopCleanly stops a replica as Kubernetes does (SIGTERM), within the
// pod's 30 s termination grace period, and checks it exited cleanly and
// released its Lease on the way out.
func stopCleanly(t *testing.T, ns string, m *shardManager) {
	t.Helper()
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- m.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s stopped with %v, want a clean exit", m.identity, err)
		}
	case <-time.After(terminationGrace):
		_ = m.cmd.Process.Kill()
		<-exited
		t.Fatalf("%s still ran %s after SIGTERM", m.identity, terminationGrace)
	}
	key := client.ObjectKey{Namespace: ns, Name: shardLeaseName(m.identity)}
	switch err := k8sClient.Get(context.Background(), key, &coordinationv1.Lease{}); {
	case err == nil:
		t.Errorf("%s stopped cleanly but left its Lease %s", m.identity, key)
	case !apierrors.IsNotFound(err):
		t.Fatalf("read Lease %s: %v", key, err)
	}
}

// buildManagerBinary builds cmd/ into a temporary directory.
func buildManagerBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manager")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd: %v\n%s", err, out)
	}
	return bin
}

// startShardManager runs one manager process in the group until the test ends.
func startShardManager(t *testing.T, bin, ns, group, identity string) *shardManager {
	t.Helper()
	m := &shardManager{identity: identity, metrics: freeLoopbackAddr(t), log: filepath.Join(t.TempDir(), identity+".log")}
	logFile, err := os.Create(m.log)
	if err != nil {
		t.Fatal(err)
	}
	m.cmd = exec.Command(bin, "--sharding", "--shard-lease-namespace", ns, "--shard-group", group, "--shard-identity", identity,
		"--metrics-bind-address", m.metrics, "--health-probe-bind-address", "0", "--retry-max-delay", "2s")
	m.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start manager %s: %v", identity, err)
	}
	t.Cleanup(func() {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		_ = m.cmd.Wait()
		_ = logFile.Close()
		if t.Failed() {
			t.Logf("log of %s:\n%s", identity, tailFile(m.log, 30))
		}
	})
	return m
}

// createFleetHosts creates one DockerHost per fake daemon with a CPU rule
// that the busy container breaches at once.
func createFleetHosts(t *testing.T, ns string, fleet *fakefleet.Fleet) []client.ObjectKey {
	t.Helper()
	var keys []client.ObjectKey
	for i, d := range fleet.Daemons {
		host := &dockwatchv1.DockerHost{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("host-%02d", i), Namespace: ns},
			Spec: dockwatchv1.DockerHostSpec{
				Endpoint: d.Endpoint, AllowPlaintext: true, Interval: &metav1.Duration{Duration: shardInterval},
				Thresholds: []dockwatchv1.ThresholdRule{{Name: "busy", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(50)}},
			},
		}
		if err := k8sClient.Create(context.Background(), host); err != nil {
			t.Fatalf("create DockerHost: %v", err)
		}
		keys = append(keys, client.ObjectKeyFromObject(host))
	}
	return keys
}

// countFiring counts hosts whose status lists a firing alert.
func countFiring(t *testing.T, ns string) int {
	t.Helper()
	var hosts dockwatchv1.DockerHostList
	if err := k8sClient.List(context.Background(), &hosts, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range hosts.Items {
		if h.Status.Summary != nil && h.Status.Summary.AlertsFiring == 1 {
			n++
		}
	}
	return n
}

// assertEachPolledOnce counts polls per host at the fake over a window: a
// host polled by one replica gets about window/interval polls (up to a
// fifth more while it moves towards its slot: see pacing.NextStart), one
// polled by two twice as many, an orphan none.
func assertEachPolledOnce(t *testing.T, fleet *fakefleet.Fleet, what string) {
	t.Helper()
	before := fleet.Polls()
	time.Sleep(pollWindow)
	after := fleet.Polls()
	most := int64(pollWindow/(shardInterval*4/5)) + 1
	for i := range after {
		if n := after[i] - before[i]; n < 2 || n > most {
			t.Errorf("%s: host %d polled %d times in %s at a %s interval, want 2..%d (one replica each)", what, i, n, pollWindow, shardInterval, most)
		}
	}
}

// longestPollGap watches the fleet for d and returns the longest time any
// host went without a poll, counting from the start of the watch.
func longestPollGap(t *testing.T, fleet *fakefleet.Fleet, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	last := make([]time.Time, shardHosts)
	seen := fleet.Polls()
	for i := range last {
		last[i] = start
	}
	var longest time.Duration
	for time.Since(start) < d {
		time.Sleep(200 * time.Millisecond)
		now := time.Now()
		for i, n := range fleet.Polls() {
			if n != seen[i] {
				seen[i], last[i] = n, now
			}
			longest = max(longest, now.Sub(last[i]))
		}
	}
	return longest
}

// assertOwnedSplit checks the replicas' dockwatch_shard_hosts_owned add up
// to the fleet with every replica taking a share.
func assertOwnedSplit(t *testing.T, group string, managers []*shardManager, want int) {
	t.Helper()
	total, shares := 0, []string{}
	for _, m := range managers {
		n := ownedBy(m)
		total += n
		shares = append(shares, fmt.Sprintf("%s=%d", m.identity, n))
		if n == 0 {
			t.Errorf("%s owns no hosts among %d replicas", m.identity, want)
		}
	}
	t.Logf("owned: %s", strings.Join(shares, " "))
	if total != shardHosts {
		t.Errorf("replicas own %d hosts in total (%s), want %d", total, strings.Join(shares, " "), shardHosts)
	}
	var leases coordinationv1.LeaseList
	if err := k8sClient.List(context.Background(), &leases, client.MatchingLabels{ShardLabel: group}); err == nil {
		t.Logf("%d shard Leases in group %s (a killed replica's stays until collected)", len(leases.Items), group)
	}
}

// ownedBy scrapes a replica's dockwatch_shard_hosts_owned (-1 if unreadable).
func ownedBy(m *shardManager) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + m.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "dockwatch_shard_hosts_owned "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return int(f)
		}
	}
	return -1
}

// assertOneAlertEventPerContainer counts ThresholdExceeded events (with
// their repeat counts) per host: each host's busy container fired once.
func assertOneAlertEventPerContainer(t *testing.T, keys []client.ObjectKey) {
	t.Helper()
	for _, key := range keys {
		total := int32(0)
		for _, e := range eventsFor(t, key, dockwatchv1.EventThresholdExceeded) {
			total += max(e.Count, 1)
		}
		if total != 1 {
			t.Errorf("%s: %d ThresholdExceeded events for its one busy container, want exactly 1", key, total)
		}
	}
}

// freeLoopbackAddr is a free 127.0.0.1 port.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
