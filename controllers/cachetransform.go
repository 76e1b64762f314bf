package controllers

import (
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
// is left as notCached (empty but not nil), so the status patch knows the
// server holds one it cannot see. Alerts and conditions, which a reconcile
// does read, stay.
func stripStatusLists(in any) (any, error) {
	if host, ok := in.(*dockwatchv1.DockerHost); ok {
		markNotCached(&host.Status.Containers)
		if host.Status.Lifecycle != nil {
			markNotCached(&host.Status.Lifecycle.Containers)
		}
	}
	return stripManagedFields(in)
}

// markNotCached replaces a non-empty list with an empty one that is not nil.
func markNotCached[T any](list *[]T) {
	if len(*list) > 0 {
		*list = []T{}
	}
}

// notCached tells whether a list is one stripStatusLists left out.
func notCached[T any](list []T) bool { return list != nil && len(list) == 0 }
