package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func TestSecretTransformDropsAnnotationsAndManagedFields(t *testing.T) {
	withMetadata := metav1.ObjectMeta{Name: "certs", Namespace: "ns", ResourceVersion: "7",
		Annotations:   map[string]string{lastApplied: `{"data":{"key.pem":"LS0tLS1CRUdJTi..."}}`},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}
	for _, obj := range []client.Object{
		&metav1.PartialObjectMetadata{ObjectMeta: *withMetadata.DeepCopy()},
		&corev1.Secret{ObjectMeta: *withMetadata.DeepCopy()},
	} {
		out, err := stripSecretMetadata(obj)
		if err != nil {
			t.Fatal(err)
		}
		got := out.(client.Object)
		if got.GetAnnotations() != nil || got.GetManagedFields() != nil {
			t.Errorf("%T keeps annotations %v or managedFields %v", obj, got.GetAnnotations(), got.GetManagedFields())
		}
		if got.GetName() != "certs" || got.GetResourceVersion() != "7" {
			t.Errorf("%T lost what the controller reads: %s rv %s", obj, got.GetName(), got.GetResourceVersion())
		}
	}
	if _, err := stripSecretMetadata(struct{}{}); err != nil {
		t.Errorf("a non-object must pass through, got %v", err)
	}
}

func TestCacheOptionsStripSecretMetadataInEveryScope(t *testing.T) {
	for _, scope := range []Scope{{}, {NodeName: "n", Namespace: "ns"}} {
		opts := scope.CacheOptions()
		if !hasSecretTransform(opts) {
			t.Errorf("scope %+v: no transform for Secrets", scope)
		}
		if opts.DefaultTransform == nil {
			t.Errorf("scope %+v: no default transform stripping managedFields", scope)
		}
	}
}

func hasSecretTransform(opts cache.Options) bool {
	for obj, by := range opts.ByObject {
		if _, ok := obj.(*corev1.Secret); ok && by.Transform != nil {
			return true
		}
	}
	return false
}

// TestCachedSecretMetadataHoldsNoSecretData applies a Secret with kubectl,
// which copies its data into the last-applied annotation, and reads it back
// through a cache built from the manager's options.
func TestCachedSecretMetadataHoldsNoSecretData(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	manifest := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied-certs\n  namespace: " + ns +
		"\nstringData:\n  key.pem: very-secret-key\n"
	if out, err := kubectlStdin(t, manifest, "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply Secret: %v\n%s", err, out)
	}
	stored := &metav1.PartialObjectMetadata{}
	stored.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	key := client.ObjectKey{Namespace: ns, Name: "applied-certs"}
	if err := k8sClient.Get(context.Background(), key, stored); err != nil || !strings.Contains(stored.Annotations[lastApplied], "very-secret-key") {
		t.Fatalf("test premise: kubectl apply keeps the data in %s (err %v)", lastApplied, err)
	}

	opts := Scope{}.CacheOptions()
	opts.Scheme = testScheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() { _ = c.Start(ctx) }()
	cached := &metav1.PartialObjectMetadata{}
	cached.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if _, err := c.GetInformer(ctx, cached); err != nil {
		t.Fatal(err)
	}
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("cache did not sync")
	}
	if err := c.Get(ctx, key, cached); err != nil {
		t.Fatal(err)
	}
	if len(cached.Annotations) != 0 || len(cached.ManagedFields) != 0 || cached.ResourceVersion != stored.ResourceVersion {
		t.Fatalf("cached Secret metadata keeps annotations %v / %d managedFields (rv %s, want %s)",
			cached.Annotations, len(cached.ManagedFields), cached.ResourceVersion, stored.ResourceVersion)
	}
}
