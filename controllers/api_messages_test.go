package controllers

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// TestAPIExplainsEachFirstHourMistake applies, with kubectl as a user does,
// each spec mistake a new user makes, and asserts the sentence the API
// server answers with: the CLI's words for endpoints, one message for a
// duration without a unit, and the admission checks for selectors and
// globs. Nothing here reaches the controller.
func TestAPIExplainsEachFirstHourMistake(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	cases := []struct {
		name, spec, want string
	}{
		{"tcp endpoint without a port", "endpoint: tcp://127.0.0.1\n  allowPlaintext: true",
			"spec.endpoint: Invalid value: needs a host and a port, as in https://192.168.99.100:2376"},
		{"http:// is not a Docker scheme", "endpoint: http://127.0.0.1:23799",
			"spec.endpoint: Invalid value: needs a scheme: unix:///path/to/docker.sock, tcp://host:port or https://host:port (http:// is not a Docker scheme"},
		{"host:port without a scheme", "endpoint: 127.0.0.1:23799", "needs a scheme: unix:///path/to/docker.sock"},
		{"unix socket with two slashes", "endpoint: unix://var/run/docker.sock",
			"spec.endpoint: Invalid value: a unix socket needs an absolute path, as in unix:///var/run/docker.sock"},
		{"interval without a unit", "endpoint: unix:///var/run/docker.sock\n  interval: 30 seconds",
			"spec.interval: Invalid value: must be a duration with a unit, as in 30s"},
		{"interval too short", "endpoint: unix:///var/run/docker.sock\n  interval: 1s", "spec.interval: Invalid value: must be at least 5s"},
		{"timeout too short", "endpoint: unix:///var/run/docker.sock\n  timeout: 500ms", "spec.timeout: Invalid value: must be at least 1s"},
		{"for without a unit", "endpoint: unix:///var/run/docker.sock\n  thresholds: [{name: cpu, metric: cpuPercent, above: 80, for: 2 minutes}]",
			"spec.thresholds[0].for: Invalid value: must be a duration with a unit, as in 2m"},
		{"broken glob", "endpoint: unix:///var/run/docker.sock\n  containers: {include: ['web-[']}",
			"spec.containers.include: Invalid value: a glob in include is broken: an unclosed ["},
		{"a threshold that is not a number", "endpoint: unix:///var/run/docker.sock\n  thresholds: [{name: mem, metric: memoryPercent, above: 80%}]",
			"spec.thresholds[0].above: Invalid value: must be a number at least 0 or a quantity such as 512Mi; quote a fraction, as in \"80.5\""},
		{"a negative quantity", "endpoint: unix:///var/run/docker.sock\n  thresholds: [{name: mem, metric: memoryBytes, above: -1Gi}]",
			"spec.thresholds[0].above: Invalid value: must be a number at least 0 or a quantity such as 512Mi"},
		{"a unit on a percent metric", "endpoint: unix:///var/run/docker.sock\n  thresholds: [{name: cpu, metric: cpuPercent, above: 512Mi}]",
			"spec.thresholds[0].above: Invalid value: only memoryBytes takes a unit, as in 512Mi; this metric's above is a plain number"},
		{"clearBelow over above in quantities", "endpoint: unix:///var/run/docker.sock\n  thresholds: [{name: mem, metric: memoryBytes, above: 256Mi, clearBelow: 1Gi}]",
			"spec.thresholds[0].clearBelow: Invalid value: clearBelow must not be greater than above"},
		// Kubernetes' own words for an int-or-string field, as for any CRD
		// quantity; the README says to quote a fraction.
		{"an unquoted fraction", "endpoint: unix:///var/run/docker.sock\n  thresholds: [{name: cpu, metric: cpuPercent, above: 80.5}]",
			"spec.thresholds[0].above: Invalid value: must be of type integer,string"},
		{"selector operator that does not exist", "endpoint: unix:///var/run/docker.sock\n  containers: {labelSelector: {matchExpressions: [{key: tier, operator: Equals, values: [web]}]}}",
			"spec.containers.labelSelector: Invalid value: labelSelector.matchExpressions operator must be In, NotIn, Exists or DoesNotExist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			manifest := "apiVersion: dockwatch.io/v1alpha1\nkind: DockerHost\nmetadata: {name: mistake, namespace: " + ns + "}\nspec:\n  " + tc.spec + "\n"
			out, err := kubectlStdin(t, manifest, "apply", "-f", "-")
			if err == nil {
				t.Fatalf("kubectl apply accepted the mistake: %s", out)
			}
			field, msg, _ := strings.Cut(tc.want, ": Invalid value: ")
			if !strings.Contains(out, field) || !strings.Contains(out, msg) {
				t.Fatalf("kubectl said\n%s\nwant it to contain\n%s", out, tc.want)
			}
			// One sentence per mistake: no regex dump, no CEL evaluation error.
			for _, noise := range []string{"should match", "failed to evaluate", "no such overload", "compilation"} {
				if strings.Contains(out, noise) {
					t.Errorf("kubectl said %q, which contains %q", out, noise)
				}
			}
		})
	}
}

// TestAPIAcceptsQuantitiesAndPlainNumbers applies the threshold forms a
// user writes, as a user does, and reads back the level the controller
// will compare with: byte quantities, plain numbers, quoted fractions.
func TestAPIAcceptsQuantitiesAndPlainNumbers(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	manifest := "apiVersion: dockwatch.io/v1alpha1\nkind: DockerHost\nmetadata: {name: levels, namespace: " + ns + "}\n" +
		"spec:\n  endpoint: unix:///var/run/docker.sock\n  thresholds:\n" +
		"  - {name: mem, metric: memoryBytes, above: 512Mi, clearBelow: 400M}\n" +
		"  - {name: mem-plain, metric: memoryBytes, above: 536870912}\n" +
		"  - {name: cpu, metric: cpuPercent, above: 80, clearBelow: \"70.5\"}\n"
	if out, err := kubectlStdin(t, manifest, "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	host := &dockwatchv1.DockerHost{}
	if err := k8sClient.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "levels"}, host); err != nil {
		t.Fatal(err)
	}
	want := [][2]float64{{512 << 20, 400e6}, {512 << 20, 512 << 20}, {80, 70.5}}
	rules := rulesFor(host.Spec.Thresholds)
	if len(rules) != len(want) {
		t.Fatalf("%d rules read back, want %d: %+v", len(rules), len(want), rules)
	}
	for i, r := range rules {
		if got := [2]float64{r.Above, r.ClearBelow}; got != want[i] {
			t.Errorf("rule %s: above/clearBelow %v, want %v", r.Name, got, want[i])
		}
	}
}

// TestKubectlExplainShowsDefaultsAndMinimums reads the schema help as a
// user does.
func TestKubectlExplainShowsDefaultsAndMinimums(t *testing.T) {
	requireControlPlane(t)
	var out string
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if out, err = kubectl(t, "explain", "dockerhost.spec"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("kubectl explain: %v\n%s", err, out)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"Defaults to 30s; at least 5s", "at least 1s and at most interval", "Defaults to 20; 1 to 100"} {
		if !strings.Contains(flat, want) {
			t.Errorf("kubectl explain dockerhost.spec lacks %q:\n%s", want, out)
		}
	}
}
