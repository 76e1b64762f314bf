package controllers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Unit tests for scheduling (dockerhost_controller.go), scope (setup.go) and
// the node agent's pure parts (nodeagent.go).

func TestPollIntervalAndTimeoutDefaults(t *testing.T) {
	tests := []struct {
		name                      string
		interval, timeout         *metav1.Duration
		wantInterval, wantTimeout time.Duration
	}{
		{"nothing set", nil, nil, 30 * time.Second, 10 * time.Second},
		{"long interval caps the timeout at 10s", dur("5m"), nil, 5 * time.Minute, 10 * time.Second},
		{"short interval bounds the timeout", dur("5s"), nil, 5 * time.Second, 5 * time.Second},
		{"interval of exactly 10s", dur("10s"), nil, 10 * time.Second, 10 * time.Second},
		{"explicit timeout wins", dur("5s"), dur("3s"), 5 * time.Second, 3 * time.Second},
		{"explicit timeout above 10s is kept", dur("1m"), dur("20s"), time.Minute, 20 * time.Second},
		{"zero durations fall back to defaults", dur("0s"), dur("0s"), 30 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := unitHost(1)
			host.Spec.Interval, host.Spec.Timeout = tt.interval, tt.timeout
			if got := pollInterval(host); got != tt.wantInterval {
				t.Errorf("pollInterval = %v, want %v", got, tt.wantInterval)
			}
			if got := pollTimeout(host); got != tt.wantTimeout {
				t.Errorf("pollTimeout = %v, want %v", got, tt.wantTimeout)
			}
		})
	}
}

func TestScopeServesEachHostFromExactlyOneManager(t *testing.T) {
	cluster, nodeA, nodeB := Scope{}, Scope{NodeName: "a"}, Scope{NodeName: "b"}
	for _, nodeName := range []string{"", "a", "b", "c"} {
		host := unitHost(1)
		host.Spec.NodeName = nodeName
		served := 0
		for _, s := range []Scope{cluster, nodeA, nodeB} {
			if s.Serves(host) {
				served++
				if s.NodeName != nodeName {
					t.Errorf("scope %q serves host of node %q", s.NodeName, nodeName)
				}
			}
		}
		if nodeName != "c" && served != 1 {
			t.Errorf("host of node %q served by %d managers, want 1", nodeName, served)
		}
	}
}

// dottedNodeName is a 253-character DNS subdomain with a '.' at byte 236, where
// NodeHostName cuts a long name before appending its hash.
var dottedNodeName = strings.Repeat("x", 44) + "." + strings.Repeat("a", 63) + "." +
	strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 16)

func TestNodeHostNameIsAValidStableUniqueName(t *testing.T) {
	long := strings.Repeat("n", 250)
	tests := []struct {
		name, nodeName, want string // want "" only checks validity
	}{
		{"short name is prefixed", "worker-1", "node-worker-1"},
		{"FQDN keeps its dots", "ip-10-0-0-5.eu-west-1.compute.internal", "node-ip-10-0-0-5.eu-west-1.compute.internal"},
		{"longest name that fits is kept whole", strings.Repeat("m", 248), "node-" + strings.Repeat("m", 248)},
		{"one byte too long is hashed", strings.Repeat("m", 249), ""},
		{"253-character name is hashed", strings.Repeat("z", 253), ""},
		{"cut landing on a dash", strings.Repeat("h", 236) + "-" + strings.Repeat("h", 16), ""},
		{"long name", long, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := validation.IsDNS1123Subdomain(tt.nodeName); len(errs) != 0 {
				t.Fatalf("test premise: %q is not a valid node name: %v", tt.nodeName, errs)
			}
			got := NodeHostName(tt.nodeName)
			if tt.want != "" && got != tt.want {
				t.Errorf("NodeHostName = %q, want %q", got, tt.want)
			}
			if errs := validation.IsDNS1123Subdomain(got); len(errs) != 0 {
				t.Errorf("NodeHostName(%.20q...) = %q is not a valid object name: %v", tt.nodeName, got, errs)
			}
			if again := NodeHostName(tt.nodeName); again != got {
				t.Errorf("not stable: %q then %q", got, again)
			}
		})
	}
	// Names that agree up to the cut must still differ.
	a, b := NodeHostName(long+"a"), NodeHostName(long+"b")
	if a == b || a == NodeHostName(long) {
		t.Errorf("long names collide: %q, %q", a, b)
	}
}

// The hashed form keeps the first 237 bytes of the node name; when that cut
// ends on a '.', the '-' before the hash starts a DNS label, which is invalid.
func TestNodeHostNameStaysValidWhenTheCutEndsOnADot(t *testing.T) {
	if errs := validation.IsDNS1123Subdomain(dottedNodeName); len(errs) != 0 {
		t.Fatalf("test premise: %q is not a valid node name: %v", dottedNodeName, errs)
	}
	got := NodeHostName(dottedNodeName)
	if errs := validation.IsDNS1123Subdomain(got); len(errs) != 0 {
		t.Errorf("NodeHostName = ...%q is not a valid object name: %v", got[len(got)-20:], errs)
	}
}

func TestLabelSafeFitsALabelValue(t *testing.T) {
	for in, want := range map[string]string{
		"worker-1":                               "worker-1",
		strings.Repeat("a", 63):                  strings.Repeat("a", 63),
		strings.Repeat("a", 70):                  strings.Repeat("a", 63),
		strings.Repeat("a", 61) + ".-bbbb":       strings.Repeat("a", 61),
		strings.Repeat("a", 62) + "_" + "suffix": strings.Repeat("a", 62),
	} {
		got := labelSafe(in)
		if got != want || len(validation.IsValidLabelValue(got)) != 0 {
			t.Errorf("labelSafe(%q) = %q, want %q (a valid label value)", in, got, want)
		}
	}
}

func TestHostForBuildsTheNodesHostFromTheTemplate(t *testing.T) {
	template := dockwatchv1.DockerHostSpec{
		Endpoint: "tcp://ignored:2376", AllowPlaintext: true, Interval: dur("15s"),
		TLS:        &dockwatchv1.TLSConfig{InsecureSkipVerify: true},
		Thresholds: []dockwatchv1.ThresholdRule{{Name: "high-cpu", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(90)}},
	}
	agent := &NodeAgent{opts: NodeAgentOptions{NodeName: "worker-1", Namespace: "dockwatch", DockerSocket: "/var/run/docker.sock"},
		template: *template.DeepCopy()}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-1", UID: "node-uid"}}
	host := agent.hostFor(node, client.ObjectKey{Namespace: "dockwatch", Name: NodeHostName("worker-1")})

	if host.Name != "node-worker-1" || host.Namespace != "dockwatch" || host.Labels["dockwatch.io/node"] != "worker-1" {
		t.Errorf("metadata = %+v", host.ObjectMeta)
	}
	if s := host.Spec; s.Endpoint != "unix:///var/run/docker.sock" || s.NodeName != "worker-1" || s.TLS != nil || s.AllowPlaintext {
		t.Errorf("spec transport = %q node %q tls %v plaintext %v", s.Endpoint, s.NodeName, s.TLS, s.AllowPlaintext)
	}
	if host.Spec.Interval.Duration != 15*time.Second || !reflect.DeepEqual(host.Spec.Thresholds, template.Thresholds) {
		t.Errorf("template settings lost: %+v", host.Spec)
	}
	owners := host.OwnerReferences
	if len(owners) != 1 || owners[0].Kind != "Node" || owners[0].Name != "worker-1" || owners[0].UID != "node-uid" {
		t.Errorf("owner references = %+v", owners)
	}
	if !reflect.DeepEqual(agent.template, template) {
		t.Errorf("hostFor changed the agent's template: %+v", agent.template)
	}
}

func TestReadTemplateAcceptsAWholeHostOrABareSpec(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // fragments of the error; nil means success
	}{
		{name: "whole DockerHost", yaml: "apiVersion: dockwatch.io/v1alpha1\nkind: DockerHost\nmetadata:\n  name: t\n" +
			"spec:\n  interval: 1m\n  thresholds:\n  - name: high-cpu\n    metric: cpuPercent\n    above: 90\n"},
		{name: "bare spec", yaml: "interval: 1m\nthresholds:\n- name: high-cpu\n  metric: cpuPercent\n  above: 90\n"},
		{name: "unknown field in a bare spec", yaml: "interval: 1m\ntresholds: []\n", want: []string{"tresholds"}},
		{name: "unknown nested field in a bare spec", yaml: "thresholds:\n- name: a\n  metric: cpuPercent\n  abve: 3\n", want: []string{"abve"}},
		{name: "not YAML", yaml: "interval: [1m\n", want: []string{"a DockerHost or its spec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemplate(t, tt.yaml)
			spec, err := readTemplate(path)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("readTemplate: %v", err)
				}
				if spec.Interval.Duration != time.Minute || len(spec.Thresholds) != 1 || spec.Thresholds[0].Above != intstr.FromInt32(90) {
					t.Errorf("spec = %+v", spec)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one naming %q", tt.want)
			}
			for _, want := range append(tt.want, path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
	if _, err := readTemplate(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "read DockerHost template") {
		t.Errorf("missing file: %v", err)
	}
}

// A typo inside a whole DockerHost makes the strict whole-object parse fail,
// and the fallback bare-spec parse then blames "kind" instead of the typo.
func TestReadTemplateNamesTheUnknownFieldOfAWholeDockerHost(t *testing.T) {
	const header = "apiVersion: dockwatch.io/v1alpha1\nkind: DockerHost\nmetadata:\n  name: t\nspec:\n"
	for typo, yaml := range map[string]string{
		"tresholds": header + "  interval: 1m\n  tresholds: []\n",
		"abve":      header + "  thresholds:\n  - name: a\n    metric: cpuPercent\n    abve: 3\n",
	} {
		path := writeTemplate(t, yaml)
		_, err := readTemplate(path)
		if err == nil || !strings.Contains(err.Error(), typo) || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v does not name the unknown field %q and the file", err, typo)
		}
	}
}

func writeTemplate(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
