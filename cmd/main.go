// Command manager runs the dockwatch controller, either cluster-wide
// (--mode=cluster, one replica with leader election, polling every
// DockerHost without spec.nodeName) or as a node agent (--mode=node, one per
// node from a DaemonSet, polling the node's own Docker socket).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/controllers"
)

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(dockwatchv1.AddToScheme(scheme))
}

// flags are the manager's command-line settings.
type flags struct {
	metricsAddr, probeAddr string
	leaderElect            bool
	mode, nodeName         string
	namespace              string
	dockerSocket           string
	templateFile           string
	statsSource            string
	cgroupRoot, procRoot   string
	concurrency            int
	retryMaxDelay          time.Duration
	pprofAddr              string
	kubeQPS                float64
	kubeBurst              int
	shard                  shardFlags
}

func parseFlags() (flags, zap.Options) {
	var f flags
	flag.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "The address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&f.probeAddr, "health-probe-bind-address", ":8081", "The address the health probe endpoint binds to.")
	flag.BoolVar(&f.leaderElect, "leader-elect", false, "Enable leader election (cluster mode), so only one replica polls.")
	flag.StringVar(&f.mode, "mode", "cluster", "cluster: poll DockerHosts without spec.nodeName; node: poll this node's own Docker socket.")
	flag.StringVar(&f.nodeName, "node-name", os.Getenv("NODE_NAME"), "Node mode: this node's name (default $NODE_NAME, set from the downward API).")
	flag.StringVar(&f.namespace, "namespace", os.Getenv("POD_NAMESPACE"), "Node mode: namespace of the node's DockerHost (default $POD_NAMESPACE).")
	flag.StringVar(&f.dockerSocket, "docker-socket", "/var/run/docker.sock", "Node mode: path of the node's Docker socket.")
	flag.StringVar(&f.templateFile, "dockerhost-template", "", "Node mode: YAML file with a DockerHost spec used when the agent creates its host.")
	flag.StringVar(&f.statsSource, "stats-source", "api", "Node mode: api reads the daemon's stats endpoint; cgroup reads the host's cgroup files (faster, same figures).")
	flag.StringVar(&f.cgroupRoot, "host-cgroup-root", "/sys/fs/cgroup", "Node mode with --stats-source=cgroup: where the host's cgroup filesystem is mounted.")
	flag.StringVar(&f.procRoot, "host-proc", "/proc", "Node mode with --stats-source=cgroup: where the host's /proc is mounted.")
	flag.IntVar(&f.concurrency, "max-concurrent-reconciles", 64, "How many DockerHosts are polled at once. A poll holds its worker about one daemon collector tick (1-2 s), so 64 keep up with about 1,000 hosts at a 30 s interval; see dockwatch_poll_lag_seconds.")
	flag.DurationVar(&f.retryMaxDelay, "retry-max-delay", 5*time.Minute, "Longest backoff between polls of an unreachable daemon.")
	flag.StringVar(&f.pprofAddr, "pprof-bind-address", "", "The address to serve Go's /debug/pprof on (e.g. 127.0.0.1:6060); empty disables it.")
	flag.Float64Var(&f.kubeQPS, "kube-api-qps", 0, "Client-side limit on API server requests per second; 0 keeps controller-runtime's default (no client-side limit: API Priority and Fairness governs).")
	flag.IntVar(&f.kubeBurst, "kube-api-burst", 0, "Burst for --kube-api-qps; 0 means twice the QPS.")
	bindShardFlags(&f.shard)
	opts := zap.Options{Development: false}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	return f, opts
}

func main() {
	f, zapOpts := parseFlags()
	// zap does the writing (JSON in production, --zap-devel for humans);
	// zapr turns it into the logr.Logger that controller-runtime logs through.
	zapLogger := zap.NewRaw(zap.UseFlagOptions(&zapOpts))
	ctrl.SetLogger(zapr.NewLogger(zapLogger))
	err := run(f)
	_ = zapLogger.Sync()
	if err != nil {
		setupLog.Error(err, "Manager stopped with an error")
		os.Exit(1)
	}
}

// run wires the manager and blocks until it is told to stop.
func run(f flags) error {
	scope, err := scopeFor(f)
	if err != nil {
		return err
	}
	if err := checkShardFlags(f); err != nil {
		return err
	}
	cfg := ctrl.GetConfigOrDie()
	applyRateLimits(cfg, f.kubeQPS, f.kubeBurst)
	cacheOpts := scope.CacheOptions()
	if f.shard.enabled {
		controllers.ShardCacheOptions(&cacheOpts, f.shard.namespace, f.shard.group)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: f.metricsAddr},
		HealthProbeBindAddress:        f.probeAddr,
		LeaderElection:                f.leaderElect && f.mode == "cluster",
		LeaderElectionID:              "dockwatch.io",
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOpts,
		PprofBindAddress:              f.pprofAddr,
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("create clientset: %w", err)
	}
	recorder, stopEvents := controllers.NewEventRecorder(clientset, scheme, "dockwatch")
	defer stopEvents()

	reconciler := &controllers.DockerHostReconciler{
		Client:      mgr.GetClient(),
		APIReader:   mgr.GetAPIReader(),
		Recorder:    recorder,
		Clock:       clock.RealClock{},
		Connections: controllers.NewConnectionCache(dialerFor(f)),
		Alerts:      controllers.NewAlertMemory(),
		Metrics:     controllers.NewMetrics(metrics.Registry),
		Scope:       scope,
	}
	ctrlOpts := controllers.Options{MaxConcurrentReconciles: f.concurrency, RetryMaxDelay: f.retryMaxDelay}
	if f.shard.enabled {
		if err := addShard(mgr, f.shard, reconciler, &ctrlOpts); err != nil {
			return err
		}
	}
	if err := reconciler.SetupWithManager(mgr, ctrlOpts); err != nil {
		return fmt.Errorf("set up DockerHost controller: %w", err)
	}
	if f.mode == "node" {
		if err := addNodeAgent(mgr, f, setupLog); err != nil {
			return err
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("set up health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("set up ready check: %w", err)
	}
	setupLog.Info("Starting manager", "mode", f.mode, "node", scope.NodeName)
	return mgr.Start(ctrl.SetupSignalHandler())
}

// scopeFor checks the mode flags and says which hosts this manager serves.
func scopeFor(f flags) (controllers.Scope, error) {
	switch f.mode {
	case "cluster":
		if f.statsSource != "api" {
			return controllers.Scope{}, fmt.Errorf("--stats-source=%s is for node mode: the cgroup files are on the node", f.statsSource)
		}
		return controllers.Scope{}, nil
	case "node":
		if f.statsSource != "api" && f.statsSource != "cgroup" {
			return controllers.Scope{}, fmt.Errorf("--stats-source must be api or cgroup, not %q", f.statsSource)
		}
		if f.nodeName == "" {
			return controllers.Scope{}, fmt.Errorf("--mode=node needs --node-name or NODE_NAME")
		}
		if f.namespace == "" {
			return controllers.Scope{}, fmt.Errorf("--mode=node needs --namespace or POD_NAMESPACE")
		}
		return controllers.Scope{NodeName: f.nodeName, Namespace: f.namespace}, nil
	default:
		return controllers.Scope{}, fmt.Errorf("--mode must be cluster or node, not %q", f.mode)
	}
}

// dialerFor picks where container samples come from.
func dialerFor(f flags) controllers.Dialer {
	if f.statsSource == "cgroup" {
		return controllers.DialFromCgroups(f.cgroupRoot, f.procRoot)
	}
	return controllers.DialDocker
}

// addNodeAgent makes sure this node's DockerHost exists once the manager runs.
func addNodeAgent(mgr ctrl.Manager, f flags, log logr.Logger) error {
	agent, err := controllers.NewNodeAgent(mgr.GetClient(), mgr.GetAPIReader(), controllers.NodeAgentOptions{
		NodeName:     f.nodeName,
		Namespace:    f.namespace,
		DockerSocket: f.dockerSocket,
		TemplateFile: f.templateFile,
	})
	if err != nil {
		return fmt.Errorf("set up node agent: %w", err)
	}
	log.Info("Node agent will register this node's Docker daemon", "node", f.nodeName, "socket", f.dockerSocket)
	return mgr.Add(agent)
}
