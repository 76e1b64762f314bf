// Package controllers holds the DockerHost reconciler: it polls each host's
// Docker daemon, writes a bounded utilization summary into status and turns
// threshold transitions into Kubernetes Events.
package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/pacing"
)

// Defaults applied when the spec leaves a value out (the API server defaults
// interval; these cover objects created before a default existed).
const (
	defaultInterval = 30 * time.Second
	maxTimeout      = 10 * time.Second
)

// DockerHostReconciler polls the Docker daemon named by each DockerHost.
type DockerHostReconciler struct {
	client.Client
	// APIReader reads Secrets uncached: the manager caches only their
	// metadata, so certificate data is held in memory only while in use.
	APIReader client.Reader
	Recorder  record.EventRecorder
	// AlertEvents receives threshold alert events, which come in bursts
	// (an AlertEventSink, which bounds and accounts for them); nil sends
	// them through Recorder.
	AlertEvents record.EventRecorder
	Clock       clock.PassiveClock

	// Connections keeps one Docker client per DockerHost.
	Connections *ConnectionCache
	// Alerts keeps each host's active alerts between polls.
	Alerts *AlertMemory
	// Lifecycle keeps each host's event log cursor and lifecycle marks;
	// nil switches the lifecycle alerts off.
	Lifecycle *LifecycleMemory
	// Metrics exports utilization to Prometheus; nil disables it.
	Metrics *Metrics
	// Scope decides which hosts this manager serves (cluster or one node).
	Scope Scope
	// Shard, when set, narrows Scope to the hosts this replica owns in a
	// sharded deployment (see Shard); nil polls every host in scope.
	Shard ShardOwner
}

// ShardOwner says whether this replica polls a host.
type ShardOwner interface {
	Owns(key client.ObjectKey) bool
}

// +kubebuilder:rbac:groups=dockwatch.io,resources=dockerhosts,verbs=get;list;watch
// +kubebuilder:rbac:groups=dockwatch.io,resources=dockerhosts/status,verbs=get;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile polls one DockerHost: fetch, resolve TLS, poll, summarise,
// evaluate thresholds, notify, and one deferred status patch.
func (r *DockerHostReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	host := &dockwatchv1.DockerHost{}
	if err := r.Get(ctx, req.NamespacedName, host); err != nil {
		if apierrors.IsNotFound(err) {
			r.resolveDeleted(req.NamespacedName)
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("get DockerHost %s: %w", req.NamespacedName, err)
	}
	if !r.Scope.Serves(host) {
		return ctrl.Result{}, nil
	}
	if r.Shard != nil && !r.Shard.Owns(req.NamespacedName) {
		// Another replica polls it now. Dropping what we kept means that
		// if it comes back, alerts are rebuilt from status, not from a
		// memory that missed the other replica's transitions.
		r.forget(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	r.Alerts.seed(host)
	if err := r.restoreStatusLists(ctx, host); err != nil {
		return ctrl.Result{}, err
	}

	before := host.Status.DeepCopy()
	defer func() {
		if ctx.Err() != nil && retErr != nil {
			// A stop cut this poll short (its error need not wrap
			// context.Canceled: a connection cut by the stop fails as
			// I/O): not an outcome to record; the next owner polls again.
			return
		}
		if err := r.save(ctx, host, before); err != nil {
			retErr = errors.Join(retErr, err)
		}
	}()

	markInsecure(host)
	if host.Spec.Suspend {
		markSuspended(host)
		r.resolveSuspended(host)
		r.Metrics.forget(req.NamespacedName) // not measured: no series beats stale ones
		return ctrl.Result{}, nil
	}
	return r.reconcile(ctx, host)
}

// reconcile does one poll and records its outcome in host.Status. Spec and
// Secret problems end without an error (the watch on the spec or Secret
// retries); daemon failures return one, so the workqueue backs off.
func (r *DockerHostReconciler) reconcile(ctx context.Context, host *dockwatchv1.DockerHost) (ctrl.Result, error) {
	logger := log.FromContext(ctx)

	known := r.Connections.Known(client.ObjectKeyFromObject(host))
	conn, selection, reused, err := r.connect(ctx, host)
	if err != nil {
		var cfgErr *configError
		if errors.As(err, &cfgErr) {
			markConfigError(host, cfgErr)
			r.Metrics.observePollError(host, cfgErr.reason)
			logger.Info("DockerHost cannot be polled as configured", "reason", cfgErr.reason, "error", cfgErr.Error())
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	// An event that changed nothing the poll depends on (a Secret's
	// metadata, a requeue that raced another) must not poll early; nor
	// must a host this manager sees for the first time (after a restart,
	// or taken over from another replica) whose schedule is still on:
	// keeping it spreads polls as before instead of all at once.
	if wait := untilPollDue(host, r.Clock.Now()); (reused || !known) && wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	previousPoll := host.Status.LastPollTime

	snap, took, err := r.poll(ctx, host, conn, selection)
	if err != nil {
		reason := markUnreachable(host, err)
		r.Metrics.observePollError(host, reason)
		return ctrl.Result{}, fmt.Errorf("poll %s: %w", host.Spec.Endpoint, err)
	}

	now := r.Clock.Now()
	summarise(host, snap, now, took)
	evaluation := r.evaluate(ctx, host, snap, now)
	r.notifyAlerts(host, evaluation.Transitions)
	r.watchLifecycle(ctx, host, conn, selection, snap, now)
	markPolled(host, firstUnmeasured(snap.Skipped))
	r.Metrics.observePoll(host, took)
	r.Metrics.observeLag(previousPoll, pollInterval(host), now)

	logger.V(1).Info("Polled Docker host", "containers", len(snap.Containers), "unmeasured", len(snap.Skipped), "took", took, "alertsFiring", host.Status.Summary.AlertsFiring)
	return ctrl.Result{RequeueAfter: nextPollIn(host, now.Add(-took), r.Clock.Now())}, nil
}

// nextPollIn is how long from now until the poll after one that started at
// started: at the host's slot at most an interval after that start (package
// pacing), counted from the poll's start, not its end, so a poll that
// spreads its requests over a few seconds, or whose event log and
// inspects take more, does not stretch the period by its own length. A
// poll that ran past that time is followed as if it had started now:
// never at once, and never with no requeue at all (a zero RequeueAfter).
func nextPollIn(host *dockwatchv1.DockerHost, started, now time.Time) time.Duration {
	at := nextPollAt(host, started)
	if !at.After(now) {
		at = nextPollAt(host, now)
	}
	return at.Sub(now)
}

// nextPollAt is when the poll after one that started at started is due:
// at the host's slot, so a fleet's polls, and the connections and answers
// they hold, spread evenly over the interval instead of clustering.
func nextPollAt(host *dockwatchv1.DockerHost, started time.Time) time.Time {
	interval := pollInterval(host)
	return pacing.NextStart(started, interval, pacing.Slot(host.Namespace+"/"+host.Name, interval))
}

// untilPollDue is how long until the host's next poll is due; 0 when it is
// due now: never polled, a new generation, not Ready, or interval elapsed.
func untilPollDue(host *dockwatchv1.DockerHost, now time.Time) time.Duration {
	ready := meta.IsStatusConditionTrue(host.Status.Conditions, dockwatchv1.ConditionReady)
	if host.Status.LastPollTime == nil || host.Status.ObservedGeneration != host.Generation || !ready {
		return 0
	}
	// Due at the slot after the last poll's start (see nextPollIn). The
	// start read back from status can be up to a second early (lastPollTime
	// is kept to the second), which would put a poll made at its slot just
	// before it: a second later is never early. A requeue that fires a
	// hair early still polls.
	started := host.Status.LastPollTime.Add(-time.Duration(host.Status.PollDurationMillis) * time.Millisecond)
	due := nextPollAt(host, started.Add(time.Second))
	if now.After(due.Add(-time.Second)) {
		return 0
	}
	return due.Sub(now)
}

// poll takes one snapshot of the host's containers within the spec's timeout.
func (r *DockerHostReconciler) poll(ctx context.Context, host *dockwatchv1.DockerHost, conn HostClient, selection docker.Selection) (*docker.Snapshot, time.Duration, error) {
	timeout := pollTimeout(host)
	pollCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := r.Clock.Now()
	snap, err := conn.Snapshot(pollCtx, selection)
	if snap != nil {
		snap = boundSnapshot(snap) // daemon strings are cut before anything keeps them
	}
	if err != nil && ctx.Err() == nil && errors.Is(pollCtx.Err(), context.DeadlineExceeded) {
		// Our own deadline cut the poll: say so in words a user can act on.
		err = fmt.Errorf("no answer within %s (spec.timeout): %w", timeout, err)
	}
	return snap, r.Clock.Since(start), err
}

// forget drops everything kept in memory for a deleted host.
func (r *DockerHostReconciler) forget(key client.ObjectKey) {
	r.Connections.Forget(key)
	r.Alerts.Forget(key)
	r.Lifecycle.Forget(key)
	r.Metrics.forget(key)
}

// pollInterval is the spec's interval, or the default for objects that lack one.
func pollInterval(host *dockwatchv1.DockerHost) time.Duration {
	if host.Spec.Interval != nil && host.Spec.Interval.Duration > 0 {
		return host.Spec.Interval.Duration
	}
	return defaultInterval
}

// pollTimeout is the spec's timeout, defaulting to the smaller of 10s and the interval.
func pollTimeout(host *dockwatchv1.DockerHost) time.Duration {
	if host.Spec.Timeout != nil && host.Spec.Timeout.Duration > 0 {
		return host.Spec.Timeout.Duration
	}
	return min(maxTimeout, pollInterval(host))
}
