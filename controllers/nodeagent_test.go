package controllers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// createNode registers a Node object (envtest runs no kubelet) and deletes it afterwards.
func createNode(t *testing.T, name string) *corev1.Node {
	t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8sClient.Create(context.Background(), node); err != nil {
		t.Fatalf("create Node %s: %v", name, err)
	}
	t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), node) })
	return node
}

// agentOptions points an agent at a harness daemon's socket, as the
// DaemonSet points it at the node's /var/run/docker.sock.
func agentOptions(t *testing.T, node, ns string, d *dockertest.Daemon) NodeAgentOptions {
	t.Helper()
	template := filepath.Join(t.TempDir(), "template.yaml")
	spec := "interval: 5s\nthresholds:\n- name: high-cpu\n  metric: cpuPercent\n  above: 90\n"
	if err := os.WriteFile(template, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	return NodeAgentOptions{NodeName: node, Namespace: ns, DockerSocket: strings.TrimPrefix(d.UnixHost, "unix://"), TemplateFile: template}
}

func TestNodeAgentRegistersAndPollsItsNode(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	daemon.RunIdle(t, "node-workload")
	ns := newNamespace(t)
	node := createNode(t, "worker-a")

	// The cluster manager runs beside the agent and must leave the node's host alone.
	cluster := startManager(t, Scope{})
	agent := startManager(t, Scope{NodeName: node.Name, Namespace: ns}, agentOptions(t, node.Name, ns, daemon))

	key := client.ObjectKey{Namespace: ns, Name: NodeHostName(node.Name)}
	host := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)
	assertOwnedByNode(t, host, node)
	if host.Spec.NodeName != node.Name || host.Spec.Endpoint != daemon.UnixHost || len(host.Spec.Thresholds) != 1 {
		t.Errorf("host spec not from the template and node: %+v", host.Spec)
	}
	if host.Status.Summary.ContainersWatched != 1 {
		t.Errorf("agent watches %d containers, want 1", host.Status.Summary.ContainersWatched)
	}
	var hosts dockwatchv1.DockerHostList
	if err := k8sClient.List(context.Background(), &hosts, client.InNamespace(ns)); err != nil || len(hosts.Items) != 1 {
		t.Fatalf("want exactly one DockerHost for the node, got %d (%v)", len(hosts.Items), err)
	}
	if cluster.reconciler.Connections.Len() != 0 || agent.reconciler.Connections.Len() != 1 {
		t.Errorf("connections: cluster %d, agent %d; want 0 and 1", cluster.reconciler.Connections.Len(), agent.reconciler.Connections.Len())
	}
	if n := cluster.reconciles.Load(); n != 0 {
		t.Errorf("the cluster manager reconciled a node host %d times", n)
	}
}

func TestNodeAgentKeepsEditsAcrossRestarts(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	node := createNode(t, "worker-edit")
	opts := agentOptions(t, node.Name, ns, daemon)
	agent := startManager(t, Scope{NodeName: node.Name, Namespace: ns}, opts)
	key := client.ObjectKey{Namespace: ns, Name: NodeHostName(node.Name)}
	host := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)

	host.Spec.Thresholds[0].Above = intstr.FromInt32(42)
	host.Spec.Containers.Exclude = []string{"noisy-*"}
	if err := k8sClient.Update(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	agent.stop()
	startManager(t, Scope{NodeName: node.Name, Namespace: ns}, opts)
	waitFor(t, 20*time.Second, "the restarted agent to poll the edited host", func() (bool, string) {
		h := getHost(t, key)
		return h.Status.ObservedGeneration == h.Generation && h.Status.LastPollTime != nil &&
			h.Status.LastPollTime.After(time.Now().Add(-3*time.Second)), describe(h)
	})
	host = getHost(t, key)
	if host.Spec.Thresholds[0].Above != intstr.FromInt32(42) || len(host.Spec.Containers.Exclude) != 1 {
		t.Fatalf("agent restart overwrote the operator's edits: %+v", host.Spec)
	}
}

func TestTwoAgentsEachOwnTheirNodesHost(t *testing.T) {
	daemonA := startDaemon(t, dockertest.Options{})
	daemonB := dockertest.Start(t, dockertest.Options{})
	daemonB.RunIdle(t, "only-on-b")
	ns := newNamespace(t)
	nodeA, nodeB := createNode(t, "worker-1"), createNode(t, "worker-2")
	startManager(t, Scope{NodeName: nodeA.Name, Namespace: ns}, agentOptions(t, nodeA.Name, ns, daemonA))
	startManager(t, Scope{NodeName: nodeB.Name, Namespace: ns}, agentOptions(t, nodeB.Name, ns, daemonB))

	hostA := waitCondition(t, client.ObjectKey{Namespace: ns, Name: NodeHostName(nodeA.Name)}, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)
	hostB := waitCondition(t, client.ObjectKey{Namespace: ns, Name: NodeHostName(nodeB.Name)}, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)
	assertOwnedByNode(t, hostA, nodeA)
	assertOwnedByNode(t, hostB, nodeB)
	if hostA.Status.Summary.ContainersWatched != 0 || hostB.Status.Summary.ContainersWatched != 1 {
		t.Errorf("each agent must poll its own node: A watches %d, B watches %d", hostA.Status.Summary.ContainersWatched, hostB.Status.Summary.ContainersWatched)
	}
}

// TestNodeAgentReadsCgroupsDirectly runs an agent with --stats-source=cgroup:
// containers are listed through the daemon, their counters read from this
// machine's cgroup files, and the busy one still shows about one core.
func TestNodeAgentReadsCgroupsDirectly(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	daemon.RunBusy(t, "cgroup-busy")
	daemon.RunIdle(t, "cgroup-capped", "-m", "64m")
	ns := newNamespace(t)
	node := createNode(t, "worker-cgroup")
	startManagerAs(t, cfg, Scope{NodeName: node.Name, Namespace: ns}, DialFromCgroups("", ""), agentOptions(t, node.Name, ns, daemon))

	key := client.ObjectKey{Namespace: ns, Name: NodeHostName(node.Name)}
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)
	var busy, capped *dockwatchv1.ContainerUsage
	waitFor(t, 30*time.Second, "CPU figures read from cgroups", func() (bool, string) {
		host := getHost(t, key)
		busy, capped = findContainer(host, "cgroup-busy"), findContainer(host, "cgroup-capped")
		return busy != nil && busy.CPUPercent != nil && capped != nil, describe(host)
	})
	if *busy.CPUPercent < 60 || *busy.CPUPercent > 130 {
		t.Errorf("busy container CPU from cgroups = %.1f%%, want about 100%%", *busy.CPUPercent)
	}
	if capped.MemoryLimitBytes != 64<<20 || capped.PIDs < 1 {
		t.Errorf("capped container from cgroups: limit %d (want 64 MiB), pids %d", capped.MemoryLimitBytes, capped.PIDs)
	}
}

// assertOwnedByNode checks the owner reference that lets the garbage
// collector delete the host with its Node (envtest runs no collector).
func assertOwnedByNode(t *testing.T, host *dockwatchv1.DockerHost, node *corev1.Node) {
	t.Helper()
	refs := host.OwnerReferences
	if len(refs) != 1 || refs[0].Kind != "Node" || refs[0].APIVersion != "v1" || refs[0].Name != node.Name || refs[0].UID != node.UID {
		t.Fatalf("DockerHost %s owner references = %+v, want the Node %s (uid %s)", host.Name, refs, node.Name, node.UID)
	}
}

// TestNodeAgentRecreatesItsDeletedHost deletes the node's DockerHost under
// a running agent: the agent registers it again and it is polled again.
func TestNodeAgentRecreatesItsDeletedHost(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	ns := newNamespace(t)
	node := createNode(t, "worker-recreate")
	opts := agentOptions(t, node.Name, ns, daemon)
	opts.RecheckInterval = time.Second
	startManager(t, Scope{NodeName: node.Name, Namespace: ns}, opts)
	key := client.ObjectKey{Namespace: ns, Name: NodeHostName(node.Name)}
	first := waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, "", readyWithin)

	if err := k8sClient.Delete(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the node's DockerHost registered again and polled", func() (bool, string) {
		host := &dockwatchv1.DockerHost{}
		if err := k8sClient.Get(context.Background(), key, host); err != nil {
			return false, err.Error()
		}
		ready := meta.IsStatusConditionTrue(host.Status.Conditions, dockwatchv1.ConditionReady)
		return host.UID != first.UID && ready, describe(host)
	})
}
