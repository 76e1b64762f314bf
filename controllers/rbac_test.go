package controllers

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestManagersWorkWithOnlyTheShippedRBAC runs the cluster manager and a node
// agent as users bound to nothing but the ClusterRoles in config/, so a
// missing (or needless) permission shows up here rather than in a cluster.
func TestManagersWorkWithOnlyTheShippedRBAC(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	daemon.RunIdle(t, "watched")
	ns := newNamespace(t)
	node := createNode(t, "rbac-node")

	clusterCfg := userBoundTo(t, "dockwatch-cluster-test", filepath.Join("..", "config", "rbac", "role.yaml"))
	agentCfg := userBoundTo(t, "dockwatch-agent-test", filepath.Join("..", "config", "agent", "rbac.yaml"))
	startManagerAs(t, clusterCfg, Scope{}, DialDocker)
	startManagerAs(t, agentCfg, Scope{NodeName: node.Name, Namespace: ns}, DialDocker, agentOptions(t, node.Name, ns, daemon))

	// A rule every running container breaches at once, so each manager must
	// also be allowed to record events.
	firesAtOnce := []dockwatchv1.ThresholdRule{{Name: "any-process", Metric: dockwatchv1.MetricPIDs, Above: 0}}
	clusterKey := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-polled", Namespace: ns},
		Spec:       dockwatchv1.DockerHostSpec{Endpoint: daemon.UnixHost, Interval: dur(pollEvery), Thresholds: firesAtOnce},
	})
	agentKey := client.ObjectKey{Namespace: ns, Name: NodeHostName(node.Name)}
	for _, key := range []client.ObjectKey{clusterKey, agentKey} {
		waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)
	}
	waitFor(t, readyWithin, "a ThresholdExceeded event recorded with the cluster role", func() (bool, string) {
		return len(eventsFor(t, clusterKey, dockwatchv1.EventThresholdExceeded)) > 0, describe(getHost(t, clusterKey))
	})
}

// userBoundTo creates a user whose only rights are the ClusterRole in file
// (the first one, for multi-document files), and returns its client config.
func userBoundTo(t *testing.T, user, file string) *rest.Config {
	t.Helper()
	role := readClusterRole(t, file)
	role.ObjectMeta = metav1.ObjectMeta{Name: user}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	for _, obj := range []client.Object{role, binding} {
		if err := k8sClient.Create(context.Background(), obj); err != nil {
			t.Fatalf("create %T %s: %v", obj, user, err)
		}
		t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), obj) })
	}
	authenticated, err := testEnv.AddUser(envtest.User{Name: user}, nil)
	if err != nil {
		t.Fatalf("add user %s: %v", user, err)
	}
	return authenticated.Config()
}

func readClusterRole(t *testing.T, file string) *rbacv1.ClusterRole {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range bytes.Split(raw, []byte("\n---")) {
		if !strings.Contains(string(doc), "kind: ClusterRole\n") {
			continue
		}
		role := &rbacv1.ClusterRole{}
		if err := yaml.Unmarshal(doc, role); err != nil {
			t.Fatalf("decode ClusterRole in %s: %v", file, err)
		}
		return role
	}
	t.Fatalf("no ClusterRole in %s", file)
	return nil
}
