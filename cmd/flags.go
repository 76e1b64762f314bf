package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dockwatch/dockwatch/controllers"
)

// exitUsage is the exit status for a bad flag, as flag.ExitOnError uses.
const exitUsage = 2

// inClusterNamespaceFile is where a pod's own namespace is mounted; with
// it, leader election finds its namespace without a flag.
const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// parseFlags parses the manager's command line into flags and zap options.
// -h prints the usage (errHelp); every mistake is an error of one line.
func parseFlags(args []string, stderr io.Writer) (flags, zap.Options, error) {
	var f flags
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "The address the Prometheus metrics endpoint binds to; 0 disables it.")
	fs.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "The address the health probe endpoint binds to; 0 disables it.")
	fs.BoolVar(&f.leaderElect, "leader-elect", false, "Enable leader election (cluster mode), so only one replica polls.")
	fs.StringVar(&f.leaderElectionNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"), "Namespace of the leader election Lease (default $POD_NAMESPACE; in a pod, its own namespace).")
	fs.StringVar(&f.mode, "mode", "cluster", "cluster: poll DockerHosts without spec.nodeName; node: poll this node's own Docker socket.")
	fs.StringVar(&f.nodeName, "node-name", os.Getenv("NODE_NAME"), "Node mode: this node's name (default $NODE_NAME, set from the downward API).")
	fs.StringVar(&f.namespace, "namespace", os.Getenv("POD_NAMESPACE"), "Node mode: namespace of the node's DockerHost (default $POD_NAMESPACE).")
	fs.StringVar(&f.dockerSocket, "docker-socket", "/var/run/docker.sock", "Node mode: the node's Docker socket, as a path or a unix:// URL (docker's -H form).")
	fs.StringVar(&f.templateFile, "dockerhost-template", "", "Node mode: YAML file with a DockerHost spec used when the agent creates its host.")
	fs.StringVar(&f.statsSource, "stats-source", "api", "Node mode: api reads the daemon's stats endpoint; cgroup reads the host's cgroup files (faster, same figures).")
	fs.StringVar(&f.cgroupRoot, "host-cgroup-root", "/sys/fs/cgroup", "Node mode with --stats-source=cgroup: where the host's cgroup filesystem is mounted.")
	fs.StringVar(&f.procRoot, "host-proc", "/proc", "Node mode with --stats-source=cgroup: where the host's /proc is mounted.")
	fs.IntVar(&f.concurrency, "max-concurrent-reconciles", 256, "How many DockerHosts are polled at once. A poll of 50 containers holds its worker about 5 s (its stats requests paced over 5 daemon collector ticks, on 10 connections), so 256 keep up with about 1,300 hosts at a 30 s interval; more make the start-up burst of first polls heavier. See dockwatch_poll_lag_seconds.")
	fs.DurationVar(&f.retryMaxDelay, "retry-max-delay", defaultRetryMaxDelay, "Longest backoff between polls of an unreachable daemon.")
	fs.StringVar(&f.pprofAddr, "pprof-bind-address", "", "The address to serve Go's /debug/pprof on (e.g. 127.0.0.1:6060); empty disables it.")
	fs.Float64Var(&f.kubeQPS, "kube-api-qps", 0, "Client-side limit on API server requests per second; 0 keeps controller-runtime's default (no client-side limit: API Priority and Fairness governs).")
	fs.IntVar(&f.kubeBurst, "kube-api-burst", 0, "Burst for --kube-api-qps; 0 means twice the QPS.")
	bindShardFlags(fs, &f.shard)
	// controller-runtime registers --kubeconfig on the global FlagSet; keep
	// accepting it.
	if kc := flag.CommandLine.Lookup("kubeconfig"); kc != nil {
		fs.Var(kc.Value, kc.Name, kc.Usage)
	}
	opts := zap.Options{Development: false}
	opts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return f, opts, err
		}
		return f, opts, errors.New(twoDashes(err.Error()))
	}
	if fs.NArg() > 0 {
		return f, opts, fmt.Errorf("unexpected argument %q: the manager takes flags only", fs.Arg(0))
	}
	return f, opts, nil
}

// validate checks every flag before anything starts, so a mistake ends the
// process at once with one sentence and exit status 2 instead of a retry
// loop or a stack trace. It normalises what it accepts in two spellings
// (--docker-socket as a path or a unix:// URL). Other flag groups (sharding)
// add their checks here.
func validate(f *flags) error {
	for _, check := range []func(*flags) error{validateMode, validateAddresses, validateLimits, validateLeaderElection, checkShardFlags} {
		if err := check(f); err != nil {
			return err
		}
	}
	return nil
}

// validateMode checks the mode and the node-mode flags.
func validateMode(f *flags) error {
	switch f.mode {
	case "cluster":
		if f.statsSource != "api" {
			return fmt.Errorf("--stats-source=%s is for --mode=node: the cgroup files are on the node", f.statsSource)
		}
		return nil
	case "node":
	default:
		return fmt.Errorf("--mode must be cluster or node, not %q", f.mode)
	}
	if f.statsSource != "api" && f.statsSource != "cgroup" {
		return fmt.Errorf("--stats-source must be api or cgroup, not %q", f.statsSource)
	}
	if f.nodeName == "" {
		return errors.New("--mode=node needs --node-name or NODE_NAME")
	}
	if f.namespace == "" {
		return errors.New("--mode=node needs --namespace or POD_NAMESPACE")
	}
	socket, err := socketPath(f.dockerSocket)
	if err != nil {
		return err
	}
	f.dockerSocket = socket
	return validateNodeFiles(f)
}

// validateNodeFiles checks the files node mode reads: the DockerHost
// template is parsed as the agent will parse it, and with
// --stats-source=cgroup the host's cgroup and /proc mounts must be
// directories (the stats engine would otherwise refuse every poll).
func validateNodeFiles(f *flags) error {
	if f.templateFile != "" {
		if err := controllers.CheckDockerHostTemplate(f.templateFile); err != nil {
			return fmt.Errorf("--dockerhost-template: %s", oneLine(err.Error()))
		}
	}
	if f.statsSource != "cgroup" {
		return nil
	}
	for _, dir := range []struct{ flag, path string }{{"--host-cgroup-root", f.cgroupRoot}, {"--host-proc", f.procRoot}} {
		st, err := os.Stat(dir.path)
		if err == nil && !st.IsDir() {
			err = errors.New("not a directory")
		}
		if err != nil {
			return fmt.Errorf("%s %q with --stats-source=cgroup: %s (mount the host's there)", dir.flag, dir.path, oneLine(err.Error()))
		}
	}
	return nil
}

// oneLine joins the lines of a message that came from elsewhere (a YAML
// parser), so the start-up error stays one line.
func oneLine(msg string) string {
	return strings.Join(strings.Fields(msg), " ")
}

// socketPath accepts the Docker socket as /path or unix:///path.
func socketPath(v string) (string, error) {
	p := v
	if strings.Contains(v, "://") {
		var ok bool
		if p, ok = strings.CutPrefix(v, "unix://"); !ok {
			return "", fmt.Errorf("--docker-socket %q: want a socket path or a unix:// URL, as in unix:///var/run/docker.sock", v)
		}
	}
	if !path.IsAbs(p) {
		return "", fmt.Errorf("--docker-socket %q: want an absolute path, as in /var/run/docker.sock or unix:///var/run/docker.sock", v)
	}
	return path.Clean(p), nil
}

// validateAddresses checks the listen addresses ("0" disables one, and
// pprof is off unless given an address).
func validateAddresses(f *flags) error {
	for name, addr := range map[string]string{"--metrics-bind-address": f.metricsAddr, "--health-probe-bind-address": f.probeAddr,
		"--pprof-bind-address": f.pprofAddr} {
		if addr == "0" || (addr == "" && name == "--pprof-bind-address") {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fmt.Errorf("%s %q: want host:port or :port, as in :8080 (0 disables it)", name, addr)
		}
	}
	return nil
}

// validateLimits checks the numeric flags.
func validateLimits(f *flags) error {
	if f.concurrency < 1 {
		return fmt.Errorf("--max-concurrent-reconciles must be at least 1, not %d", f.concurrency)
	}
	if f.retryMaxDelay <= 0 {
		return fmt.Errorf("--retry-max-delay must be positive, not %s", f.retryMaxDelay)
	}
	if !(f.kubeQPS >= 0) || math.IsInf(f.kubeQPS, 1) {
		return fmt.Errorf("--kube-api-qps must be a finite number of at least 0 (0 keeps the default), not %v", f.kubeQPS)
	}
	if f.kubeBurst < 0 {
		return fmt.Errorf("--kube-api-burst must be at least 0 (0 means twice --kube-api-qps), not %d", f.kubeBurst)
	}
	return nil
}

// validateLeaderElection makes sure leader election knows its namespace:
// outside a pod controller-runtime cannot find one and would fail later
// with "unable to find leader election namespace".
func validateLeaderElection(f *flags) error {
	if !f.leaderElect || f.mode != "cluster" || f.leaderElectionNamespace != "" {
		return nil
	}
	if _, err := os.Stat(inClusterNamespaceFile); err == nil {
		return nil
	}
	return errors.New("--leader-elect outside a pod needs --leader-election-namespace (or POD_NAMESPACE) to hold its Lease")
}

// twoDashes spells flags in the flag package's errors with two dashes, as
// the help and the manifests do (Go accepts both).
func twoDashes(msg string) string {
	msg = strings.Replace(msg, "flag -", "flag --", 1)
	return strings.Replace(msg, "not defined: -", "not defined: --", 1)
}
