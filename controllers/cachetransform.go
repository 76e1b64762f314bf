package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"
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
