package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dockwatch/dockwatch/controllers"
)

// shardFlags configure sharding across replicas (cluster mode).
type shardFlags struct {
	enabled             bool
	namespace, identity string
	group               string
	leaseDuration       time.Duration
}

// bindShardFlags registers the sharding flags.
func bindShardFlags(fs *flag.FlagSet, s *shardFlags) {
	host, _ := os.Hostname()
	identity := os.Getenv("POD_NAME")
	if identity == "" {
		identity = host
	}
	fs.BoolVar(&s.enabled, "sharding", false, "Cluster mode: split DockerHosts between all replicas that run with --sharding (Leases as membership); excludes --leader-elect.")
	fs.StringVar(&s.namespace, "shard-lease-namespace", os.Getenv("POD_NAMESPACE"), "With --sharding: namespace of the replicas' Leases (default $POD_NAMESPACE).")
	fs.StringVar(&s.identity, "shard-identity", identity, "With --sharding: this replica's name, unique in the group (default $POD_NAME, else the host name).")
	fs.StringVar(&s.group, "shard-group", "dockwatch", "With --sharding: the group's name (label dockwatch.io/shard-group on its Leases).")
	fs.DurationVar(&s.leaseDuration, "shard-lease-duration", controllers.DefaultShardLeaseDuration, "With --sharding: how long after its last renewal a replica's hosts are taken over by the others.")
}

// checkShardFlags refuses combinations that cannot work, in one line.
func checkShardFlags(f *flags) error {
	if f.shard.enabled && f.mode != "cluster" {
		return fmt.Errorf("--sharding is for --mode=cluster: node agents each poll their own node")
	}
	if f.shard.enabled && f.shard.leaseDuration < 3*controllers.DefaultShardRenewInterval {
		return fmt.Errorf("--shard-lease-duration must be at least %s (three renewals)", 3*controllers.DefaultShardRenewInterval)
	}
	return controllers.CheckShardFlags(f.shard.enabled, f.leaderElect, f.shard.namespace, f.shard.identity)
}

// addShard makes this replica a shard member: the reconciler polls only
// the hosts it owns, and hosts it takes over are reconciled at once.
func addShard(mgr ctrl.Manager, s shardFlags, r *controllers.DockerHostReconciler, opts *controllers.Options) (*controllers.Shard, error) {
	shard := controllers.NewShard(controllers.ShardOptions{
		Client: mgr.GetClient(), Cache: mgr.GetCache(),
		Namespace: s.namespace, Identity: s.identity, Group: s.group,
		LeaseDuration: s.leaseDuration,
		Log:           ctrl.Log.WithName("shard"),
	}, metrics.Registry)
	if err := mgr.Add(shard); err != nil {
		return nil, fmt.Errorf("add shard membership: %w", err)
	}
	r.Shard = shard
	opts.Resync = shard.Source()
	return shard, nil
}

// applyRateLimits sets the client-side API rate limit when asked; by
// default controller-runtime's (none) stays.
func applyRateLimits(cfg *rest.Config, qps float64, burst int) {
	if qps <= 0 {
		return
	}
	cfg.QPS = float32(qps)
	cfg.Burst = burst
	if burst <= 0 {
		cfg.Burst = int(2 * qps)
	}
}
