package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	crhandler "sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// secretRefIndex indexes DockerHosts by the Secret they reference, so a
// changed Secret finds its hosts without listing them all.
const secretRefIndex = ".spec.tls.secretRef.name"

// Scope says which DockerHosts a manager serves. The cluster-mode manager
// (NodeName "") serves hosts without spec.nodeName; a node agent serves only
// the hosts in its own namespace whose spec.nodeName is its node. Between
// them every host is polled exactly once, and a user who can create
// DockerHosts elsewhere cannot point an agent at its node's socket.
type Scope struct {
	NodeName string
	// Namespace confines a node agent to the namespace it registers its
	// node's host in; "" (cluster mode) is every namespace.
	Namespace string
}

// Serves reports whether this manager polls host. The cache is already
// filtered the same way; this also covers objects read before a change.
func (s Scope) Serves(host *dockwatchv1.DockerHost) bool {
	return host.Spec.NodeName == s.NodeName && (s.Namespace == "" || host.Namespace == s.Namespace)
}

// CacheOptions filter the DockerHost informer at the API server by
// spec.nodeName (a selectable field of the CRD) and, for an agent, by
// namespace, so a manager never receives or holds hosts it does not serve.
// Reads of a type without an informer fail at once instead of quietly
// starting one the manager may have no RBAC for. Cached Secret metadata
// keeps no annotations (see stripSecretMetadata), cached DockerHosts keep
// no status lists a reconcile writes without reading (see
// stripStatusLists), and no cached object keeps managedFields.
func (s Scope) CacheOptions() cache.Options {
	opts := cache.Options{
		ReaderFailOnMissingInformer: true,
		DefaultTransform:            stripManagedFields,
		ByObject: map[client.Object]cache.ByObject{
			&dockwatchv1.DockerHost{}: {
				Field:     fields.OneTermEqualSelector("spec.nodeName", s.NodeName),
				Transform: stripStatusLists,
			},
			&corev1.Secret{}: {Transform: stripSecretMetadata},
		},
	}
	if s.Namespace != "" {
		opts.DefaultNamespaces = map[string]cache.Config{s.Namespace: {}}
	}
	return opts
}

// Options tune the controller.
type Options struct {
	// MaxConcurrentReconciles is how many hosts are polled at once. A hung
	// daemon holds one worker for at most its timeout.
	MaxConcurrentReconciles int
	// RetryBaseDelay and RetryMaxDelay bound the backoff after a failed poll.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// Resync, when set, is an extra source of hosts to reconcile now: the
	// hosts a sharded replica takes over (Shard.Source).
	Resync source.Source
}

// SetupWithManager registers the reconciler: it watches DockerHosts (spec
// changes only, so its own status patches do not re-trigger it) and the
// metadata of Secrets they reference.
func (r *DockerHostReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	return r.setupWithManager(mgr, opts, r)
}

// setupWithManager registers handler (r itself, or a test's wrapper around it).
func (r *DockerHostReconciler) setupWithManager(mgr ctrl.Manager, opts Options, handler reconcile.Reconciler) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &dockwatchv1.DockerHost{}, secretRefIndex,
		func(obj client.Object) []string {
			if name := secretName(obj.(*dockwatchv1.DockerHost)); name != "" {
				return []string{name}
			}
			return nil
		}); err != nil {
		return fmt.Errorf("index DockerHosts by Secret: %w", err)
	}
	if opts.RetryBaseDelay <= 0 {
		opts.RetryBaseDelay = time.Second
	}
	if opts.RetryMaxDelay <= 0 {
		opts.RetryMaxDelay = 5 * time.Minute
	}

	b := ctrl.NewControllerManagedBy(mgr).
		Named("dockerhost").
		For(&dockwatchv1.DockerHost{}, builder.WithPredicates(predicate.GenerationChangedPredicate{}))
	// Node hosts read a local socket and never use a Secret, so agents need
	// (and are granted) no access to Secrets at all.
	if r.Scope.NodeName == "" {
		b = b.Watches(&corev1.Secret{}, crhandler.EnqueueRequestsFromMapFunc(r.hostsForSecret), builder.OnlyMetadata)
	}
	if opts.Resync != nil {
		b = b.WatchesRawSource(opts.Resync)
	}
	return b.WithOptions(controller.Options{
		MaxConcurrentReconciles: max(1, opts.MaxConcurrentReconciles),
		RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](
			opts.RetryBaseDelay, opts.RetryMaxDelay),
	}).
		Complete(handler)
}

// hostsForSecret maps a Secret event to the DockerHosts that reference it.
func (r *DockerHostReconciler) hostsForSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var hosts dockwatchv1.DockerHostList
	if err := r.List(ctx, &hosts, client.InNamespace(secret.GetNamespace()),
		client.MatchingFields{secretRefIndex: secret.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing DockerHosts for a changed Secret", "secret", client.ObjectKeyFromObject(secret))
		return nil
	}
	requests := make([]reconcile.Request, 0, len(hosts.Items))
	for i := range hosts.Items {
		if r.Scope.Serves(&hosts.Items[i]) {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&hosts.Items[i])})
		}
	}
	return requests
}
