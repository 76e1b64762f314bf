package controllers

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// restoreStatusLists puts back the lifecycle marks the cache leaves out of
// a host's status (see stripStatusLists), before the poll and before the
// status patch takes its base. They come from this manager's memory of the
// last marks it wrote or, for a host it holds none of (its first poll
// here, a takeover from another replica, a patch that failed, a status
// another replica wrote since), from the API server: lifecycleFromStatus
// rebuilds that memory from them, so an episode already reported is not
// reported again. The usage list is left out: every poll writes it anew.
func (r *DockerHostReconciler) restoreStatusLists(ctx context.Context, host *dockwatchv1.DockerHost) error {
	st := host.Status.Lifecycle
	if st == nil || !notCached(st.Containers) || r.Lifecycle == nil || !isOn(lifecycleSpec(host).Enabled) || host.Spec.Suspend {
		return nil
	}
	if marks, ok := r.Lifecycle.saved(host); ok {
		st.Containers = statusMarks(marks)
		return nil
	}
	stored := &dockwatchv1.DockerHost{}
	if err := r.uncached().Get(ctx, client.ObjectKeyFromObject(host), stored); err != nil {
		return fmt.Errorf("read the lifecycle marks of DockerHost %s/%s: %w", host.Namespace, host.Name, err)
	}
	st.Containers = nil
	if stored.UID == host.UID && stored.Status.Lifecycle != nil {
		st.Containers = stored.Status.Lifecycle.Containers
	}
	return nil
}

// uncached reads from the API server, bypassing the cache.
func (r *DockerHostReconciler) uncached() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}
