package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/clock"
	kptr "k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/sharding"
)

// ShardLabel marks the Leases of dockwatch shard members; its value is the
// shard group, so two dockwatch installations in one namespace stay apart.
const ShardLabel = "dockwatch.io/shard-group"

// Shard timing defaults: a replica that dies is dropped by the others one
// lease duration after its last renewal; membership is re-read every tick.
const (
	DefaultShardLeaseDuration = 15 * time.Second
	DefaultShardRenewInterval = 5 * time.Second
	shardTick                 = time.Second
	// shardJoinGrace is how long a replica waits after its Lease first
	// exists before it owns anything: long enough for the others to read
	// the new member (every shardTick) and finish a poll already under
	// way, so two replicas never poll (and fire alerts for) a host at once.
	shardJoinGrace = 5 * time.Second
	// shardLeaseGarbage is how long past its expiry a dead member's Lease
	// stays before a survivor deletes it.
	shardLeaseGarbage = 2 * time.Minute
)

// Shard makes this replica one member of a group that splits DockerHosts
// between its members: it renews its own Lease, reads the group's Leases
// from the cache, and owns the hosts that rendezvous hashing over
// namespace/name gives it. When membership changes it re-enqueues the
// hosts it gained (their owners moved away or died); hosts it lost are
// dropped at their next reconcile. It is a manager Runnable that runs on
// every replica (no leader election).
type Shard struct {
	ShardOptions

	resync     chan event.TypedGenericEvent[client.Object]
	membership *sharding.Membership
	lease      *coordinationv1.Lease
	hostsGauge prometheus.Gauge
	membGauge  prometheus.Gauge

	mu          sync.RWMutex
	members     []string
	renewedAt   time.Time // last successful renewal of our own Lease
	joinedAt    time.Time // first successful renewal, for shardJoinGrace
	initialised bool
}

// ShardOptions configure a Shard.
type ShardOptions struct {
	// Client writes this replica's Lease; Cache lists Leases and DockerHosts.
	Client client.Client
	Cache  cache.Cache
	// Namespace holds the group's Leases; Identity names this replica
	// (its Lease is dockwatch-shard-<Identity>); Group is the label value.
	Namespace, Identity, Group string
	// LeaseDuration and RenewInterval default to the package defaults.
	LeaseDuration, RenewInterval time.Duration
	Clock                        clock.Clock
	Log                          logr.Logger
}

// NewShard returns a Shard with defaults filled in and its metrics
// (dockwatch_shard_members, dockwatch_shard_hosts_owned) registered.
func NewShard(opts ShardOptions, reg prometheus.Registerer) *Shard {
	out := &Shard{ShardOptions: opts}
	if out.LeaseDuration <= 0 {
		out.LeaseDuration = DefaultShardLeaseDuration
	}
	if out.RenewInterval <= 0 {
		out.RenewInterval = DefaultShardRenewInterval
	}
	if out.Clock == nil {
		out.Clock = clock.RealClock{}
	}
	if out.Group == "" {
		out.Group = "dockwatch"
	}
	out.resync = make(chan event.TypedGenericEvent[client.Object], 1024)
	out.membership = sharding.NewMembership()
	out.membGauge = prometheus.NewGauge(prometheus.GaugeOpts{Name: "dockwatch_shard_members", Help: "Live members of this replica's shard group, as it sees them."})
	out.hostsGauge = prometheus.NewGauge(prometheus.GaugeOpts{Name: "dockwatch_shard_hosts_owned", Help: "DockerHosts this replica polls."})
	if reg != nil {
		reg.MustRegister(out.membGauge, out.hostsGauge)
	}
	return out
}

// ShardCacheOptions adds the group's Leases to the manager's cache, so
// membership is read from a watch rather than by polling the API server.
func ShardCacheOptions(opts *cache.Options, namespace, group string) {
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	opts.ByObject[&coordinationv1.Lease{}] = cache.ByObject{
		Namespaces: map[string]cache.Config{namespace: {}},
		Label:      labels.SelectorFromSet(labels.Set{ShardLabel: group}),
	}
}

// Source is the controller's extra event source: hosts this replica gained.
func (s *Shard) Source() source.Source {
	return source.Channel(s.resync, &handler.EnqueueRequestForObject{})
}

// Owns reports whether this replica polls the host now. It owns nothing
// until it has renewed its Lease and read the group once, and nothing once
// its last renewal is older than the lease duration less one renew
// interval: the others drop it at one lease duration, so it stops first.
func (s *Shard) Owns(key client.ObjectKey) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.initialised || s.Clock.Since(s.renewedAt) > s.LeaseDuration-s.RenewInterval {
		return false
	}
	return sharding.Owner(s.members, key.String()) == s.Identity
}

// NeedLeaderElection is false: every replica is a member.
func (s *Shard) NeedLeaderElection() bool { return false }

// Start renews the Lease and follows membership until ctx ends. From then
// on this replica owns nothing, so the controllers, which stop after it,
// start no poll on a membership it no longer follows; its Lease stays,
// so the others take nothing over, until Release once they have stopped.
func (s *Shard) Start(ctx context.Context) error {
	if _, err := s.Cache.GetInformer(ctx, &coordinationv1.Lease{}); err != nil {
		return fmt.Errorf("watch shard Leases in %s: %w", s.Namespace, err)
	}
	s.Log.Info("Joining shard group", "group", s.Group, "namespace", s.Namespace, "identity", s.Identity, "leaseDuration", s.LeaseDuration)
	ticker := time.NewTicker(shardTick)
	defer ticker.Stop()
	for {
		s.step(ctx)
		select {
		case <-ctx.Done():
			s.ownNothing()
			return nil
		case <-ticker.C:
		}
	}
}

// step renews the Lease when due and re-reads membership.
func (s *Shard) step(ctx context.Context) {
	s.mu.RLock()
	renewDue := s.Clock.Since(s.renewedAt) >= s.RenewInterval
	s.mu.RUnlock()
	if renewDue {
		if err := s.renew(ctx); err != nil {
			s.Log.Error(err, "Renewing shard Lease", "lease", s.leaseName())
		}
	}
	if err := s.follow(ctx); err != nil {
		s.Log.Error(err, "Reading shard membership")
	}
}

// leaseName is this replica's Lease.
func (s *Shard) leaseName() string { return shardLeaseName(s.Identity) }

// shardLeaseName is the Lease of the member with this identity.
func shardLeaseName(identity string) string { return "dockwatch-shard-" + identity }

// renew creates or updates this replica's Lease with the current time.
func (s *Shard) renew(ctx context.Context) error {
	now := metav1.NewMicroTime(s.Clock.Now())
	if s.lease == nil {
		lease := &coordinationv1.Lease{}
		err := s.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: s.leaseName()}, lease)
		switch {
		case apierrors.IsNotFound(err):
			lease = s.newLease(now)
			if err := s.Client.Create(ctx, lease); err != nil {
				return fmt.Errorf("create Lease %s/%s: %w", s.Namespace, s.leaseName(), err)
			}
			return s.renewed(lease)
		case err != nil:
			return fmt.Errorf("get Lease %s/%s: %w", s.Namespace, s.leaseName(), err)
		}
		s.lease = lease
	}
	lease := s.lease.DeepCopy()
	lease.Labels = map[string]string{ShardLabel: s.Group}
	lease.Spec.HolderIdentity = kptr.To(s.Identity)
	lease.Spec.LeaseDurationSeconds = kptr.To(int32(s.LeaseDuration / time.Second))
	lease.Spec.RenewTime = &now
	if err := s.Client.Update(ctx, lease); err != nil {
		s.lease = nil // re-read on the next try (a conflict, or deleted by hand)
		return fmt.Errorf("update Lease %s/%s: %w", s.Namespace, s.leaseName(), err)
	}
	return s.renewed(lease)
}

// newLease is this replica's Lease as first created.
func (s *Shard) newLease(now metav1.MicroTime) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: s.leaseName(), Namespace: s.Namespace, Labels: map[string]string{ShardLabel: s.Group}},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       kptr.To(s.Identity),
			LeaseDurationSeconds: kptr.To(int32(s.LeaseDuration / time.Second)),
			AcquireTime:          &now, RenewTime: &now,
		},
	}
}

// renewed remembers a successful write of our Lease.
func (s *Shard) renewed(lease *coordinationv1.Lease) error {
	s.lease = lease
	s.mu.Lock()
	s.renewedAt = s.Clock.Now()
	if s.joinedAt.IsZero() {
		s.joinedAt = s.renewedAt
	}
	s.mu.Unlock()
	return nil
}

// follow reads the group's Leases, and when the live members change,
// re-enqueues the hosts this replica gained.
func (s *Shard) follow(ctx context.Context) error {
	var leases coordinationv1.LeaseList
	if err := s.Cache.List(ctx, &leases, client.InNamespace(s.Namespace), client.MatchingLabels{ShardLabel: s.Group}); err != nil {
		return fmt.Errorf("list shard Leases in %s: %w", s.Namespace, err)
	}
	now := s.Clock.Now()
	s.membership.Update(leasesOf(leases.Items), now)
	live := s.membership.Live(now)
	s.collectGarbage(ctx, now)

	s.mu.Lock()
	before, wasInitialised := s.members, s.initialised
	if !wasInitialised {
		before = nil // owned nothing so far
	}
	changed := !wasInitialised || !slices.Equal(before, live)
	s.members = live
	s.initialised = !s.joinedAt.IsZero() && s.Clock.Since(s.joinedAt) >= shardJoinGrace
	changed = changed && s.initialised
	s.mu.Unlock()
	s.membGauge.Set(float64(len(live)))
	if !changed {
		return s.countOwned(ctx)
	}
	s.Log.Info("Shard membership changed", "members", live, "before", before)
	return s.enqueueGained(ctx, before, live)
}

// leasesOf turns Lease objects into the membership's view of them.
func leasesOf(items []coordinationv1.Lease) []sharding.Lease {
	out := make([]sharding.Lease, 0, len(items))
	for _, l := range items {
		if l.Spec.HolderIdentity == nil || l.Spec.LeaseDurationSeconds == nil {
			continue
		}
		out = append(out, sharding.Lease{Holder: *l.Spec.HolderIdentity, Marker: l.ResourceVersion,
			Duration: time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second})
	}
	return out
}

// enqueueGained sends the hosts gained to the controller, off the tick
// loop so a busy queue never delays a renewal.
func (s *Shard) enqueueGained(ctx context.Context, before, after []string) error {
	var hosts dockwatchv1.DockerHostList
	if err := s.Cache.List(ctx, &hosts); err != nil {
		return fmt.Errorf("list DockerHosts to resync: %w", err)
	}
	owned := 0
	var gained []client.Object
	for i := range hosts.Items {
		key := client.ObjectKeyFromObject(&hosts.Items[i]).String()
		if sharding.Owner(after, key) != s.Identity {
			continue
		}
		owned++
		if sharding.Owner(before, key) != s.Identity {
			gained = append(gained, &hosts.Items[i])
		}
	}
	s.hostsGauge.Set(float64(owned))
	s.Log.Info("Taking over DockerHosts", "gained", len(gained), "owned", owned)
	go func() {
		for _, obj := range gained {
			select {
			case s.resync <- event.TypedGenericEvent[client.Object]{Object: obj}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

// countOwned refreshes the owned-hosts gauge.
func (s *Shard) countOwned(ctx context.Context) error {
	var list dockwatchv1.DockerHostList
	if err := s.Cache.List(ctx, &list); err != nil {
		return fmt.Errorf("list DockerHosts: %w", err)
	}
	owned := 0
	for i := range list.Items {
		if s.Owns(client.ObjectKeyFromObject(&list.Items[i])) {
			owned++
		}
	}
	s.hostsGauge.Set(float64(owned))
	return nil
}

// collectGarbage deletes Leases of members dead for long (killed without
// a clean shutdown); only the first live member does it, to avoid races.
func (s *Shard) collectGarbage(ctx context.Context, now time.Time) {
	live := s.membership.Live(now)
	if len(live) == 0 || live[0] != s.Identity {
		return
	}
	for _, holder := range s.membership.Expired(now, shardLeaseGarbage) {
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: shardLeaseName(holder)}}
		if err := s.Client.Delete(ctx, lease); err != nil && !apierrors.IsNotFound(err) {
			s.Log.Error(err, "Deleting a dead member's shard Lease", "holder", holder)
			continue
		}
		s.Log.Info("Deleted a dead member's shard Lease", "holder", holder)
	}
}

// Release deletes this replica's Lease on shutdown, so the others take
// its hosts over at their next tick instead of after the lease duration.
// Call it once the controllers have stopped and saved their last polls
// (Start does not: controller-runtime stops it before the controllers, and
// a host taken over while its last poll here is still being saved could
// have an alert fired twice). Without it, the Lease expires.
func (s *Shard) Release() {
	s.ownNothing()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: s.leaseName()}}
	switch err := s.Client.Delete(ctx, lease); {
	case apierrors.IsNotFound(err):
		s.Log.Info("No shard Lease to release", "lease", s.leaseName())
	case err != nil:
		s.Log.Error(err, "Releasing shard Lease", "lease", s.leaseName())
	default:
		s.Log.Info("Released shard Lease", "lease", s.leaseName())
	}
}

// ownNothing makes Owns false for every host from here on.
func (s *Shard) ownNothing() {
	s.mu.Lock()
	s.initialised = false
	s.mu.Unlock()
}

// CheckShardFlags returns an error when sharding is combined with leader
// election: one replica would poll everything and the others nothing.
func CheckShardFlags(sharded, leaderElect bool, namespace, identity string) error {
	switch {
	case sharded && leaderElect:
		return errors.New("--sharding and --leader-elect are mutually exclusive: sharding splits hosts between replicas, leader election keeps all on one")
	case sharded && namespace == "":
		return errors.New("--sharding needs --shard-lease-namespace or POD_NAMESPACE")
	case sharded && identity == "":
		return errors.New("--sharding needs --shard-identity, POD_NAME or a host name")
	}
	return nil
}
