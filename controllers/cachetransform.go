package controllers

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// stripSecretMetadata is the cache transform for Secrets. The manager caches
// only their metadata, but that still holds annotations, and `kubectl
// apply` leaves the whole Secret, data included, in
// kubectl.kubernetes.io/last-applied-configuration. Annotations and
// managedFields go before anything is stored, so certificate data is held
// only while a client is being built from it. The controller reads nothing
// of a cached Secret but its name, namespace and resourceVersion.
func stripSecretMetadata(in any) (any, error) {
	if obj, err := meta.Accessor(in); err == nil {
		obj.SetAnnotations(nil)
		obj.SetManagedFields(nil)
	}
	return in, nil
}

// stripManagedFields keeps managedFields, which the controller never reads
// and which can be larger than a DockerHost's spec, out of every cache.
var stripManagedFields toolscache.TransformFunc = func(in any) (any, error) {
	if obj, err := meta.Accessor(in); err == nil && obj.GetManagedFields() != nil {
		obj.SetManagedFields(nil)
	}
	return in, nil
}

// stripStatusLists is the cache transform for DockerHosts. Their two long
// lists, status.containers and status.lifecycle.containers, were nearly
// all of the informer's memory (27 MiB of the live heap at 1,000 hosts ×
// 50 containers, 3.5 MiB without them), and a reconcile reads neither from the
// cache: it writes the usage list anew each poll, and keeps the lifecycle
// marks in LifecycleMemory, reading them from the API server only for a
// host it has no memory of (see restoreStatusLists). A list that was there
// is cached as notCached, one zero-valued entry, which no poll writes: the
// status patch then sees any list the poll wrote, an emptied one included,
// as a change, and sends it whole or as null instead of leaving the
// server's copy in place. (An empty list would not do: a poll writes those
// too.) Alerts and conditions, which a reconcile does read, stay.
func stripStatusLists(in any) (any, error) {
	if host, ok := in.(*dockwatchv1.DockerHost); ok {
		markNotCached(&host.Status.Containers)
		if host.Status.Lifecycle != nil {
			markNotCached(&host.Status.Lifecycle.Containers)
		}
	}
	return stripManagedFields(in)
}

// markNotCached replaces a non-empty list with the notCached stand-in.
func markNotCached[T any](list *[]T) {
	if len(*list) > 0 {
		*list = make([]T, 1)
	}
}

// notCached tells whether a list is the stand-in stripStatusLists left.
func notCached[T any](list []T) bool {
	var zero T
	return len(list) == 1 && equality.Semantic.DeepEqual(list[0], zero)
}
