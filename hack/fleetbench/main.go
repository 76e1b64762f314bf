// Command fleetbench measures one dockwatch manager holding a fleet of
// fake Docker Engines, as `make bench` does in its fleet section (or, with
// -replicas, several manager replicas sharding it). It starts
// its own control plane (envtest's kube-apiserver and etcd, from
// hack/setup-envtest.sh), the fake fleet as a separate process
// (hack/fakefleet, mutual TLS), one docker-machine Secret and one
// DockerHost per fake daemon, then the manager binary with its default
// flags, and measures after a warm-up:
//
//   - manager CPU (cores, from /proc/<pid>/stat), peak RSS (VmHWM) and
//     the median of its RSS (VmRSS) sampled about once a second;
//
//   - poll age (now - status.lastPollTime) p50/p99 and hosts not Ready;
//
//   - TLS handshakes per second at the fleet, full and resumed;
//
//   - sockets the manager holds (/proc/<pid>/fd), mean and max;
//
//   - API server writes per second (the manager's rest_client_requests_total).
//
// With -replicas N, N managers run with --sharding and the per-process
// figures are given for each.
//
//	go run ./hack/fleetbench -manager bin/manager -fakefleet bin/fakefleet -hosts 1000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// options are the command-line settings.
type options struct {
	hosts, containers, busy int
	interval                time.Duration
	warmup, window          time.Duration
	managerBin, fleetBin    string
	assets                  string
	managerArgs             string
	managerEnv              string
	replicas                int
	pprof                   bool
}

func main() {
	opts, err := parseOptions(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fleetbench: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "fleetbench: %v\n", err)
		os.Exit(1)
	}
}

// parseOptions reads the flags.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("fleetbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.hosts, "hosts", 1000, "fake Docker hosts (one DockerHost each)")
	fs.IntVar(&o.containers, "containers", 50, "containers per host")
	fs.IntVar(&o.busy, "busy", 2, "busy containers per host (they breach the benchmark's CPU rule)")
	fs.DurationVar(&o.interval, "interval", 30*time.Second, "spec.interval of every DockerHost")
	fs.DurationVar(&o.warmup, "warmup", 90*time.Second, "time after the manager starts before measuring")
	fs.DurationVar(&o.window, "window", 2*time.Minute, "measurement window")
	fs.StringVar(&o.managerBin, "manager", "bin/manager", "the manager binary (go build -o bin/manager ./cmd)")
	fs.StringVar(&o.fleetBin, "fakefleet", "bin/fakefleet", "the fake fleet binary (go build -o bin/fakefleet ./hack/fakefleet)")
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "directory with kube-apiserver and etcd (default: hack/setup-envtest.sh)")
	fs.StringVar(&o.managerArgs, "manager-args", "", "extra manager flags, space-separated (default none: the manager's defaults)")
	fs.StringVar(&o.managerEnv, "manager-env", "", "extra environment of the manager, space-separated NAME=value (default none: Go's defaults, as outside a memory cgroup; in a pod the manager sets GOMEMLIMIT to 90% of its memory limit, see Sizing the manager in the README)")
	fs.IntVar(&o.replicas, "replicas", 1, "manager processes; above 1 they run with --sharding and split the hosts")
	fs.BoolVar(&o.pprof, "pprof", false, "serve the manager's pprof on 127.0.0.1 and save a CPU profile of the window and a heap profile at its end")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.hosts < 1 || o.containers < 1 || o.busy > o.containers || o.window <= 0 || o.replicas < 1 || fs.NArg() > 0 {
		return o, fmt.Errorf("want -hosts >= 1, -containers >= 1, -busy <= -containers, -window > 0, -replicas >= 1 and no arguments")
	}
	return o, nil
}

// run starts everything, measures, prints and tears everything down.
func run(ctx context.Context, o options, out, logw io.Writer) error {
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "fleetbench: "+format+"\n", args...)
	}
	env, err := startControlPlane(o.assets, logf)
	if err != nil {
		return err
	}
	defer env.stop()
	fleet, err := startFleet(ctx, o, logf)
	if err != nil {
		return err
	}
	defer fleet.stop()
	if err := createHosts(ctx, env, fleet, o, logf); err != nil {
		return err
	}
	managers, err := startManagers(env, o, logf)
	defer func() { stopManagers(managers) }()
	if err != nil {
		return err
	}
	logf("%s started; warming up for %s", replicasLine(o.replicas), o.warmup)
	if err := sleepCtx(ctx, o.warmup); err != nil {
		return err
	}
	var profiled sync.WaitGroup
	if o.pprof { // the CPU profiles cover the window
		for _, m := range managers {
			profiled.Go(func() { m.saveProfile(fmt.Sprintf("profile?seconds=%d", int(o.window.Seconds())), "cpu", logf) })
		}
	}
	res, err := measure(ctx, env, fleet, managers, o, logf)
	profiled.Wait()
	if err != nil {
		return err
	}
	if o.pprof {
		for _, m := range managers {
			m.saveProfile("heap", "heap", logf)
		}
	}
	writeReport(out, o, res)
	return nil
}

// sleepCtx sleeps d unless ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
