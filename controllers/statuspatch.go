package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// emptyMergePatch is what a merge patch says when nothing changed.
const emptyMergePatch = "{}"

// statusSaveTimeout is how long past the manager's stop the status patch of
// a poll that had finished may take. After it, the alert events drain for
// up to 5 s more and the shard Lease is released (StartAfterManager): all well
// inside the pod's 30 s termination grace period.
const statusSaveTimeout = 5 * time.Second

// outliving is a context with ctx's values that ends grace after ctx ends
// (or when cancel is called), not with it.
func outliving(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return out, func() { stop(); cancel() }
}

// save records a poll's outcome: the events for conditions that changed,
// then the status patch. The patch outlives the manager's stop by up to
// statusSaveTimeout: the poll's alert events are already queued, and the
// next manager, or the replica that takes the host over, rebuilds alert
// state from status, so an outcome dropped here would fire them again.
func (r *DockerHostReconciler) save(ctx context.Context, host *dockwatchv1.DockerHost, before *dockwatchv1.DockerHostStatus) error {
	r.notify(host, before)
	saveCtx, cancel := outliving(ctx, statusSaveTimeout)
	defer cancel()
	err := patchStatus(saveCtx, r.Status(), host, before)
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	r.Lifecycle.unsaved(client.ObjectKeyFromObject(host))
	return fmt.Errorf("patch status of %s/%s: %w", host.Namespace, host.Name, err)
}

// patchStatus sends what changed in host's status since before, if
// anything, and reads back only the object's metadata. The API server's
// answer to a typed patch is the whole object, every listed container and
// lifecycle mark included, decoded for nothing: at 1,000 hosts that was 3%
// of the manager's CPU and a tenth of its allocations, which the informer's
// watch decodes again anyway.
func patchStatus(ctx context.Context, c client.SubResourceWriter, host *dockwatchv1.DockerHost, before *dockwatchv1.DockerHostStatus) error {
	data, err := statusPatch(before, &host.Status)
	if err != nil {
		return err
	}
	if string(data) == emptyMergePatch {
		return nil
	}
	target := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: host.Namespace, Name: host.Name}}
	target.SetGroupVersionKind(dockwatchv1.GroupVersion.WithKind("DockerHost"))
	return c.Patch(ctx, target, client.RawPatch(types.MergePatchType, data))
}

// statusPatch is the JSON merge patch (RFC 7386) from before to after, as
// client.MergeFrom would make it for the status subresource. A merge patch
// replaces a list whole, so a list that did not change is left out of both
// sides first: the diff then never decodes the lifecycle marks and alerts
// that most polls leave as they were.
func statusPatch(before, after *dockwatchv1.DockerHostStatus) ([]byte, error) {
	b, a := *before, *after // shallow: only the copies' list fields are reset
	dropUnchanged(&b.Conditions, &a.Conditions)
	dropUnchanged(&b.Containers, &a.Containers)
	dropUnchanged(&b.Alerts, &a.Alerts)
	if b.Lifecycle != nil && a.Lifecycle != nil {
		bl, al := *b.Lifecycle, *a.Lifecycle
		dropUnchanged(&bl.Containers, &al.Containers)
		b.Lifecycle, a.Lifecycle = &bl, &al
	}
	original, err := json.Marshal(statusDocument{Status: &b})
	if err != nil {
		return nil, err
	}
	modified, err := json.Marshal(statusDocument{Status: &a})
	if err != nil {
		return nil, err
	}
	return jsonpatch.CreateMergePatch(original, modified)
}

// dropUnchanged empties both lists when they are equal. A list the cache
// left out (see stripStatusLists) equals only the same stand-in, so a poll
// that wrote one is always sent.
func dropUnchanged[T any](before, after *[]T) {
	if equality.Semantic.DeepEqual(*before, *after) {
		*before, *after = nil, nil
	}
}

// statusDocument is the part of a DockerHost the status subresource takes.
type statusDocument struct {
	Status *dockwatchv1.DockerHostStatus `json:"status"`
}
