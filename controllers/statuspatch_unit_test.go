package controllers

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// sentPatch is one status patch as the API client was asked to send it.
type sentPatch struct {
	obj  client.Object
	typ  types.PatchType
	data string
}

func recordingStatusWriter(t *testing.T, host *dockwatchv1.DockerHost) (client.SubResourceWriter, *[]sentPatch) {
	t.Helper()
	var sent []sentPatch
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(host).WithStatusSubresource(host).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(_ context.Context, _ client.Client, _ string, obj client.Object, p client.Patch, _ ...client.SubResourcePatchOption) error {
			data, err := p.Data(obj)
			sent = append(sent, sentPatch{obj: obj, typ: p.Type(), data: string(data)})
			return err
		}}).Build()
	return c.Status(), &sent
}

func TestPatchStatusSendsNothingWhenNothingChanged(t *testing.T) {
	host := unitHost(1)
	w, sent := recordingStatusWriter(t, host)
	patch := client.MergeFrom(host.DeepCopy())
	if err := patchStatus(context.Background(), w, host, patch); err != nil {
		t.Fatal(err)
	}
	if len(*sent) != 0 {
		t.Errorf("unchanged status: sent %+v, want no request", *sent)
	}
}

func TestPatchStatusSendsTheDiffAndReadsBackOnlyMetadata(t *testing.T) {
	host := unitHost(1)
	w, sent := recordingStatusWriter(t, host)
	patch := client.MergeFrom(host.DeepCopy())
	host.Status.ObservedGeneration = 7
	if err := patchStatus(context.Background(), w, host, patch); err != nil {
		t.Fatal(err)
	}
	if len(*sent) != 1 {
		t.Fatalf("sent %d patches, want 1", len(*sent))
	}
	got := (*sent)[0]
	if want := `{"status":{"observedGeneration":7}}`; got.data != want || got.typ != types.MergePatchType {
		t.Errorf("patch %s %s, want %s %s", got.typ, got.data, types.MergePatchType, want)
	}
	m, ok := got.obj.(*metav1.PartialObjectMetadata)
	if !ok {
		t.Fatalf("patched a %T: the answer would be decoded whole; want *metav1.PartialObjectMetadata", got.obj)
	}
	if m.Name != host.Name || m.Namespace != host.Namespace || m.GroupVersionKind() != dockwatchv1.GroupVersion.WithKind("DockerHost") {
		t.Errorf("patched %s %s/%s, want DockerHost %s/%s", m.GroupVersionKind(), m.Namespace, m.Name, host.Namespace, host.Name)
	}
}
