package controllers

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
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

	clusterCfg := userBoundTo(t, "dockwatch-cluster-test", filepath.Join("..", "config", "rbac", "role.yaml"), "")
	agentCfg := userBoundTo(t, "dockwatch-agent-test", filepath.Join("..", "config", "agent", "rbac.yaml"), ns)
	startManagerAs(t, clusterCfg, Scope{}, DialDocker)
	startManagerAs(t, agentCfg, Scope{NodeName: node.Name, Namespace: ns}, DialDocker, agentOptions(t, node.Name, ns, daemon))

	// A rule every running container breaches at once, so each manager must
	// also be allowed to record events.
	firesAtOnce := []dockwatchv1.ThresholdRule{{Name: "any-process", Metric: dockwatchv1.MetricPIDs, Above: intstr.FromInt32(0)}}
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
// (the first one, for multi-document files), bound cluster-wide, and the
// Role in file, if any, bound in ns; it returns the user's client config.
func userBoundTo(t *testing.T, user, file, ns string) *rest.Config {
	t.Helper()
	role := readRBAC[rbacv1.ClusterRole](t, file, "ClusterRole")
	role.ObjectMeta = metav1.ObjectMeta{Name: user}
	objects := []client.Object{role, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}}
	if nsRole := readRBAC[rbacv1.Role](t, file, "Role"); nsRole != nil {
		nsRole.ObjectMeta = metav1.ObjectMeta{Name: user, Namespace: ns}
		objects = append(objects, nsRole, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: user},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
		})
	}
	for _, obj := range objects {
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

// readRBAC decodes the first object of kind in a multi-document file; nil
// when there is none (a ClusterRole must be there).
func readRBAC[T any](t *testing.T, file, kind string) *T {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range bytes.Split(raw, []byte("\n---")) {
		if !strings.Contains(string(doc), "\nkind: "+kind+"\n") && !strings.HasPrefix(string(doc), "kind: "+kind+"\n") {
			continue
		}
		obj := new(T)
		if err := yaml.Unmarshal(doc, obj); err != nil {
			t.Fatalf("decode %s in %s: %v", kind, file, err)
		}
		return obj
	}
	if kind == "ClusterRole" {
		t.Fatalf("no ClusterRole in %s", file)
	}
	return nil
}

// TestShippedAgentRBACConfinesAgentsToTheirNamespace applies the agent's
// RBAC as config/agent renders it and acts as the agent's service account:
// it may create DockerHosts and read Nodes in its own namespace, and may
// not create, list or rewrite DockerHosts anywhere else.
func TestShippedAgentRBACConfinesAgentsToTheirNamespace(t *testing.T) {
	requireControlPlane(t)
	const agentNS = "dockwatch-system"
	ensureNamespace(t, agentNS)
	other := newNamespace(t)
	rendered, err := kubectl(t, "kustomize", filepath.Join("..", "config", "agent"))
	if err != nil {
		t.Fatalf("kubectl kustomize config/agent: %v\n%s", err, rendered)
	}
	var rbacDocs []string
	for _, doc := range strings.Split(rendered, "\n---\n") {
		if strings.Contains(doc, "rbac.authorization.k8s.io/v1\nkind:") || strings.Contains(doc, "kind: ServiceAccount\n") {
			rbacDocs = append(rbacDocs, doc)
		}
	}
	manifest := strings.Join(rbacDocs, "\n---\n")
	if out, err := kubectlStdin(t, manifest, "apply", "-f", "-"); err != nil {
		t.Fatalf("apply the agent's RBAC: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = kubectlStdin(t, manifest, "delete", "--ignore-not-found", "-f", "-") })

	asAgent := rest.CopyConfig(cfg)
	asAgent.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + agentNS + ":dockwatch-agent"}
	agent, err := client.New(asAgent, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hostIn := func(ns string) *dockwatchv1.DockerHost {
		return &dockwatchv1.DockerHost{ObjectMeta: metav1.ObjectMeta{Name: "node-probe", Namespace: ns},
			Spec: dockwatchv1.DockerHostSpec{Endpoint: "unix:///var/run/docker.sock", NodeName: "probe"}}
	}
	// RBAC has nothing to settle before it applies, but give the
	// authorizer's informers a moment to see the new bindings.
	waitFor(t, 10*time.Second, "the agent allowed to create its own namespace's DockerHost", func() (bool, string) {
		err := agent.Create(ctx, hostIn(agentNS), client.DryRunAll)
		return err == nil, fmt.Sprint(err)
	})
	if err := agent.Get(ctx, client.ObjectKey{Name: "probe-node-absent"}, &corev1.Node{}); !apierrors.IsNotFound(err) {
		t.Errorf("get Node as the agent: %v, want NotFound (allowed, absent)", err)
	}

	victim := hostIn(other)
	victim.Name = "victim"
	if err := k8sClient.Create(ctx, victim); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"create a DockerHost in another namespace": agent.Create(ctx, hostIn(other), client.DryRunAll),
		"list DockerHosts in every namespace":      agent.List(ctx, &dockwatchv1.DockerHostList{}),
		"list DockerHosts in another namespace":    agent.List(ctx, &dockwatchv1.DockerHostList{}, client.InNamespace(other)),
		"rewrite another namespace's DockerHost":   agent.Update(ctx, victim.DeepCopy(), client.DryRunAll),
		"patch another namespace's status": agent.Status().Patch(ctx, victim.DeepCopy(),
			client.RawPatch(types.MergePatchType, []byte(`{"status":{"containersOmitted":1}}`)), client.DryRunAll),
		"read Secrets in its own namespace": agent.List(ctx, &corev1.SecretList{}, client.InNamespace(agentNS)),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("the agent could %s: %v, want Forbidden", what, err)
		}
	}
}

// ensureNamespace creates a namespace that may already exist and is kept.
func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8sClient.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
