package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// The agent's RBAC is written by hand in config/agent rather than generated
// from markers here: generated markers would also grant these to the
// cluster-mode manager, which needs neither.

// NodeAgentOptions configure the node agent.
type NodeAgentOptions struct {
	// NodeName is the node the agent runs on.
	NodeName string
	// Namespace receives the node's DockerHost.
	Namespace string
	// DockerSocket is the node's Docker socket path, as mounted in the agent.
	DockerSocket string
	// TemplateFile optionally holds a DockerHost (or just its spec) in YAML
	// whose spec seeds new node hosts: thresholds, selection, interval.
	TemplateFile string
	// RecheckInterval is how often the agent makes sure its host still
	// exists, recreating it if someone deleted it; 0 is defaultRecheck.
	RecheckInterval time.Duration
}

// defaultRecheck is how often an agent looks for its host in its cache.
// The look costs nothing (the informer already holds the host); only a
// missing host costs API calls.
const defaultRecheck = 30 * time.Second

// NodeAgent makes sure the agent's node has a DockerHost, for as long as
// the agent runs: a deleted host is created again within RecheckInterval.
// It only ever creates that host: once it exists, its spec belongs to the
// cluster's operators, and the agent never overwrites their edits.
type NodeAgent struct {
	client   client.Client
	reader   client.Reader
	opts     NodeAgentOptions
	template dockwatchv1.DockerHostSpec
}

// NewNodeAgent reads the template (if any) and returns the agent.
func NewNodeAgent(c client.Client, reader client.Reader, opts NodeAgentOptions) (*NodeAgent, error) {
	agent := &NodeAgent{client: c, reader: reader, opts: opts}
	if opts.TemplateFile != "" {
		spec, err := readTemplate(opts.TemplateFile)
		if err != nil {
			return nil, err
		}
		agent.template = spec
	}
	return agent, nil
}

// NeedLeaderElection is false: every node's agent runs, each for its own node.
func (a *NodeAgent) NeedLeaderElection() bool { return false }

// Start registers the node's DockerHost, retrying with backoff (up to a
// minute apart) while the API server is unavailable or refuses, then keeps
// it registered until ctx ends; the reconciler does the polling.
func (a *NodeAgent) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("node-agent")
	if err := a.register(ctx, log); err != nil {
		return nil // ctx ended: the manager is stopping
	}
	recheck := a.opts.RecheckInterval
	if recheck <= 0 {
		recheck = defaultRecheck
	}
	wait.JitterUntilWithContext(ctx, func(ctx context.Context) {
		if a.hostCached(ctx) {
			return
		}
		log.Info("This node's DockerHost is gone; registering it again", "dockerhost", NodeHostName(a.opts.NodeName))
		_ = a.register(ctx, log)
	}, recheck, 0.1, false)
	return nil
}

// register runs EnsureHost until it succeeds or ctx ends (its error).
func (a *NodeAgent) register(ctx context.Context, log logr.Logger) error {
	backoff := wait.Backoff{Duration: 2 * time.Second, Factor: 2, Jitter: 0.1, Steps: math.MaxInt32, Cap: time.Minute}
	return wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
		created, err := a.EnsureHost(ctx)
		if err != nil {
			log.Error(err, "Registering this node's DockerHost; will retry", "node", a.opts.NodeName)
			return false, nil
		}
		log.Info("Node DockerHost in place", "dockerhost", NodeHostName(a.opts.NodeName), "created", created)
		return true, nil
	})
}

// hostCached reports whether the node's DockerHost is in the client's
// cache (true too when the cache cannot answer, so a hiccup costs nothing).
func (a *NodeAgent) hostCached(ctx context.Context) bool {
	key := client.ObjectKey{Namespace: a.opts.Namespace, Name: NodeHostName(a.opts.NodeName)}
	err := a.client.Get(ctx, key, &dockwatchv1.DockerHost{})
	return !apierrors.IsNotFound(err)
}

// EnsureHost creates the node's DockerHost unless it exists, owned by the
// Node so that it is garbage-collected with it. It reports whether it created.
func (a *NodeAgent) EnsureHost(ctx context.Context) (bool, error) {
	key := client.ObjectKey{Namespace: a.opts.Namespace, Name: NodeHostName(a.opts.NodeName)}
	existing := &dockwatchv1.DockerHost{}
	err := a.reader.Get(ctx, key, existing)
	if err == nil {
		return false, nil
	}
	if !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("get DockerHost %s: %w", key, err)
	}
	node := &corev1.Node{}
	if err := a.reader.Get(ctx, client.ObjectKey{Name: a.opts.NodeName}, node); err != nil {
		return false, fmt.Errorf("get Node %s: %w", a.opts.NodeName, err)
	}
	host := a.hostFor(node, key)
	if err := a.client.Create(ctx, host); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return false, fmt.Errorf("create DockerHost %s: %w", key, err)
	}
	return true, nil
}

// hostFor builds the node's DockerHost from the template.
func (a *NodeAgent) hostFor(node *corev1.Node, key client.ObjectKey) *dockwatchv1.DockerHost {
	spec := *a.template.DeepCopy()
	spec.Endpoint = "unix://" + a.opts.DockerSocket
	spec.NodeName = node.Name
	spec.TLS = nil
	spec.AllowPlaintext = false
	return &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{
			Name:      key.Name,
			Namespace: key.Namespace,
			Labels:    map[string]string{"dockwatch.io/node": labelSafe(node.Name)},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1",
				Kind:       "Node",
				Name:       node.Name,
				UID:        node.UID,
			}},
		},
		Spec: spec,
	}
}

// NodeHostName derives the node's DockerHost name. Node names are DNS
// subdomains already; long ones are shortened with a hash to stay unique.
func NodeHostName(nodeName string) string {
	name := "node-" + strings.ToLower(nodeName)
	if len(name) <= validation.DNS1123SubdomainMaxLength {
		return name
	}
	sum := sha256.Sum256([]byte(nodeName))
	// A cut ending in '.' or '-' would leave ".-" before the hash: not a valid name.
	return strings.TrimRight(name[:validation.DNS1123SubdomainMaxLength-11], ".-") + "-" + hex.EncodeToString(sum[:5])
}

// labelSafe shortens a node name to fit a label value.
func labelSafe(s string) string {
	if len(s) <= validation.LabelValueMaxLength {
		return s
	}
	return strings.TrimRight(s[:validation.LabelValueMaxLength], ".-_")
}

// CheckDockerHostTemplate reads and parses a --dockerhost-template file as
// NewNodeAgent will, so a bad file can fail start-up with one line.
func CheckDockerHostTemplate(path string) error {
	_, err := readTemplate(path)
	return err
}

// readTemplate accepts either a whole DockerHost or a bare spec. It looks
// at `kind` first, so a typo is reported against the form the file is in.
func readTemplate(path string) (dockwatchv1.DockerHostSpec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return dockwatchv1.DockerHostSpec{}, fmt.Errorf("read DockerHost template: %w", err)
	}
	var kind struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(raw, &kind); err != nil {
		return dockwatchv1.DockerHostSpec{}, fmt.Errorf("parse DockerHost template %s (a DockerHost or its spec): %w", path, err)
	}
	if kind.Kind != "" {
		var whole dockwatchv1.DockerHost
		if err := yaml.UnmarshalStrict(raw, &whole); err != nil {
			return dockwatchv1.DockerHostSpec{}, fmt.Errorf("parse DockerHost template %s: %w", path, err)
		}
		return whole.Spec, nil
	}
	var spec dockwatchv1.DockerHostSpec
	if err := yaml.UnmarshalStrict(raw, &spec); err != nil {
		return dockwatchv1.DockerHostSpec{}, fmt.Errorf("parse DockerHost template %s (a DockerHost or its spec): %w", path, err)
	}
	return spec, nil
}
