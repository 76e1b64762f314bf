package fakefleet

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// startTLSFleet starts a mutual-TLS fleet and returns it with the client
// material a docker-machine Secret would hold.
func startTLSFleet(t *testing.T, opts Options) (*Fleet, *docker.TLSMaterial) {
	t.Helper()
	certs := dockertest.NewCerts(t, dockertest.CertOptions{})
	cfg, err := ServerTLS(certs.CAPEM, certs.ServerCertPEM, certs.ServerKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	opts.TLS = cfg
	f, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f, &docker.TLSMaterial{CA: certs.CAPEM, Cert: certs.CertPEM, Key: certs.KeyPEM}
}

func TestFleetServesSnapshotsWithBusyContainersOverMutualTLS(t *testing.T) {
	f, material := startTLSFleet(t, Options{Hosts: 3, Containers: 10, Busy: 2})
	c, err := docker.New(docker.Config{Endpoint: f.Daemons[1].Endpoint, TLS: material})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	start := time.Now()
	if _, err := c.Snapshot(ctx, docker.Selection{}); err != nil {
		t.Fatalf("first snapshot: %v", err)
	}
	// One-shot requests wait for the next tick: all of them in one tick.
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("first snapshot took %s, want about one collector tick", took)
	}
	snap, err := c.Snapshot(ctx, docker.Selection{})
	if err != nil {
		t.Fatalf("second snapshot: %v", err)
	}
	if len(snap.Containers) != 10 || snap.Daemon.NCPU != engineNCPU {
		t.Fatalf("got %d containers, %d CPUs; want 10 and %d", len(snap.Containers), snap.Daemon.NCPU, engineNCPU)
	}
	for _, cs := range snap.Containers {
		want := IdleCPUPercent
		if cs.Name == ContainerName(0) || cs.Name == ContainerName(1) {
			want = BusyCPUPercent
		}
		if cs.CPUPercent == nil || math.Abs(*cs.CPUPercent-want) > 0.5 {
			t.Errorf("%s: CPU %v, want %.1f", cs.Name, cs.CPUPercent, want)
		}
		if cs.MemoryUsageBytes == 0 || cs.NetRxBytes == 0 {
			t.Errorf("%s: memory %d, rx %d; want counters", cs.Name, cs.MemoryUsageBytes, cs.NetRxBytes)
		}
	}
	got := f.Counters()
	if got.Lists != 2 || got.Stats != 20 || f.Daemons[1].Polls() != 2 || f.Daemons[0].Polls() != 0 {
		t.Errorf("counters %+v, polls %v; want 2 lists and 20 stats on daemon 1 only", got, f.Polls())
	}
	if got.FullHandshakes+got.ResumedHandshakes < 1 || got.OpenConns < 1 {
		t.Errorf("counters %+v: want handshakes and open connections counted", got)
	}
}

func TestImmediateFleetAnswersWithoutWaitingForATick(t *testing.T) {
	f, err := Start(Options{Hosts: 1, Containers: 20, Immediate: true, Tick: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := docker.New(docker.Config{Endpoint: f.Daemons[0].Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	for range 2 {
		if _, err := c.Snapshot(context.Background(), docker.Selection{}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("two immediate snapshots took %s, want well under the 10 s tick", took)
	}
}

func TestStreamFalseWaitsForTwoTicksAndFillsPrecpu(t *testing.T) {
	f, err := Start(Options{Hosts: 1, Containers: 2, Busy: 1, Tick: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := docker.New(docker.Config{Endpoint: f.Daemons[0].Endpoint, APIVersion: "1.40"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snap, err := c.Snapshot(context.Background(), docker.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range snap.Containers {
		if cs.CPUPercent == nil {
			t.Errorf("%s: no CPU figure from a stream=false sample with precpu", cs.Name)
		}
	}
}

// TestFleetAnswersEventLogReadsEmpty: the controller reads each daemon's
// event log every poll; a fake daemon's is empty, not an error.
func TestFleetAnswersEventLogReadsEmpty(t *testing.T) {
	f, material := startTLSFleet(t, Options{Hosts: 1, Containers: 2})
	c, err := docker.New(docker.Config{Endpoint: f.Daemons[0].Endpoint, TLS: material})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Now()
	res, err := c.ContainerEvents(context.Background(), now.Add(-time.Minute), now, eventlog.Limits{})
	if err != nil {
		t.Fatalf("read the event log: %v", err)
	}
	if len(res.Events) != 0 || f.Counters().Events != 1 {
		t.Errorf("got %d events, %d reads counted; want none, and one read", len(res.Events), f.Counters().Events)
	}
}
