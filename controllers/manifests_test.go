package controllers

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRenderedManifestsAreAccepted renders every kustomize overlay the README
// tells users to apply and has the real API server (with the CRD installed)
// validate each object through `kubectl apply --dry-run=server`.
func TestRenderedManifestsAreAccepted(t *testing.T) {
	requireControlPlane(t)
	// Namespaced objects are only validated once their namespace exists.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dockwatch-system"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	for _, overlay := range []struct {
		dir       string
		wantKinds []string
	}{
		{"config/default", []string{"CustomResourceDefinition", "Deployment", "ClusterRole", "ServiceAccount", "Service", "Role"}},
		{"config/agent", []string{"DaemonSet", "ClusterRole", "Role", "RoleBinding", "ServiceAccount", "ConfigMap"}},
		{"config/agent-cgroup", []string{"DaemonSet", "ClusterRole", "Role"}},
		{"config/sharded", []string{"Deployment", "Role", "RoleBinding", "ClusterRole"}},
		{"config/crd", []string{"CustomResourceDefinition"}},
		{"config/samples", []string{"DockerHost"}},
	} {
		t.Run(overlay.dir, func(t *testing.T) {
			rendered, err := kubectl(t, "kustomize", filepath.Join("..", overlay.dir))
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v\n%s", overlay.dir, err, rendered)
			}
			for _, kind := range overlay.wantKinds {
				if !strings.Contains(rendered, "kind: "+kind+"\n") {
					t.Errorf("%s renders no %s", overlay.dir, kind)
				}
			}
			out, err := kubectlStdin(t, rendered, "apply", "--dry-run=server", "-n", "dockwatch-system", "-f", "-")
			if err != nil {
				t.Fatalf("API server rejected %s: %v\n%s", overlay.dir, err, out)
			}
			t.Logf("%s:\n%s", overlay.dir, out)
		})
	}
}
