// Command manager runs the dockwatch controller, either cluster-wide
// (--mode=cluster, one replica with leader election, polling every
// DockerHost without spec.nodeName) or as a node agent (--mode=node, one per
// node from a DaemonSet, polling the node's own Docker socket).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
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
	// leaderElectionNamespace holds the leader election Lease.
	leaderElectionNamespace string
	mode, nodeName          string
	namespace               string
	dockerSocket            string
	templateFile            string
	statsSource             string
	cgroupRoot, procRoot    string
	concurrency             int
	retryMaxDelay           time.Duration
	pprofAddr               string
	kubeQPS                 float64
	kubeBurst               int
	shard                   shardFlags
}

// defaultRetryMaxDelay is the default of --retry-max-delay.
const defaultRetryMaxDelay = 5 * time.Minute

func main() {
	f, zapOpts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err == nil {
		err = validate(&f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "manager: %v (see 'manager -h')\n", err)
		os.Exit(exitUsage)
	}
	// zap does the writing (JSON in production, --zap-devel for humans);
	// zapr turns it into the logr.Logger that controller-runtime logs through.
	zapLogger := zap.NewRaw(zap.UseFlagOptions(&zapOpts))
	ctrl.SetLogger(zapr.NewLogger(zapLogger))
	err = run(f)
	_ = zapLogger.Sync()
	if err != nil {
		setupLog.Error(err, "Manager stopped with an error")
		os.Exit(1)
	}
}

// run wires the manager and blocks until it is told to stop.
func run(f flags) error {
	limit, err := applyMemoryLimit(memlimit.FromCgroup)
	logMemoryLimit(setupLog, limit, err)
	scope, err := scopeFor(f)
	if err != nil {
		return err
	}
	mgr, cfg, err := newManager(f, scope)
	if err != nil {
		return err
	}
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("create clientset: %w", err)
	}
	recorder, stopEvents := controllers.NewEventRecorder(clientset, scheme, "dockwatch")
	defer stopEvents()
	alertEvents := controllers.NewAlertEventSink(clientset.CoreV1(), scheme, "dockwatch", metrics.Registry)
	after := controllers.StartAfterManager(alertEvents)
	defer after.Finish()

	dockwatchMetrics := controllers.NewMetrics(metrics.Registry)
	if err := addMetricsServer(mgr, f.metricsAddr, dockwatchMetrics.Handler(metrics.Registry)); err != nil {
		return fmt.Errorf("set up the metrics server: %w", err)
	}
	reconciler := &controllers.DockerHostReconciler{
		Client:      mgr.GetClient(),
		APIReader:   mgr.GetAPIReader(),
		Recorder:    recorder,
		AlertEvents: alertEvents,
		Clock:       clock.RealClock{},
		Connections: controllers.NewConnectionCache(dialerFor(f)),
		Alerts:      controllers.NewAlertMemory(),
		Lifecycle:   controllers.NewLifecycleMemory(),
		Metrics:     dockwatchMetrics,
		Scope:       scope,
	}
	ctrlOpts := controllers.Options{MaxConcurrentReconciles: f.concurrency, RetryMaxDelay: f.retryMaxDelay}
	if f.shard.enabled {
		if after.Shard, err = addShard(mgr, f.shard, reconciler, &ctrlOpts); err != nil {
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

// newManager builds the controller-runtime manager for scope from the
// kubeconfig, with the client's rate limits and the cache the scope (and
// a shard) reads. Its own metrics server is off: addMetricsServer serves
// /metrics.
func newManager(f flags, scope controllers.Scope) (ctrl.Manager, *rest.Config, error) {
	cfg := ctrl.GetConfigOrDie()
	applyRateLimits(cfg, f.kubeQPS, f.kubeBurst)
	cacheOpts := scope.CacheOptions()
	if f.shard.enabled {
		controllers.ShardCacheOptions(&cacheOpts, f.shard.namespace, f.shard.group)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        f.probeAddr,
		LeaderElection:                f.leaderElect && f.mode == "cluster",
		LeaderElectionID:              "dockwatch.io",
		LeaderElectionNamespace:       f.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOpts,
		PprofBindAddress:              f.pprofAddr,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create manager: %w", err)
	}
	return mgr, cfg, nil
}

// scopeFor says which hosts this manager serves; validate has checked
// the flags it reads.
func scopeFor(f flags) (controllers.Scope, error) {
	if f.mode == "node" {
		return controllers.Scope{NodeName: f.nodeName, Namespace: f.namespace}, nil
	}
	return controllers.Scope{}, nil
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
