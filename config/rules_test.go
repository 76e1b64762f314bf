// Package config_test checks the monitoring files users import as they are:
// the Prometheus rules (plain file and PrometheusRule), and the Grafana
// dashboard. That their queries name only series the manager really exports
// is proven against a real scrape in controllers (TestPrometheusScrapes...).
package config_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	rulesFile      = "prometheus/rules/dockwatch.rules.yaml"
	rulesTestFile  = "prometheus/rules/dockwatch.rules.test.yaml"
	prometheusRule = "prometheus/operator/prometheusrule.yaml"
	operatorDir    = "prometheus/operator"
	// updateVar, when "1", rewrites the PrometheusRule from the rules file
	// (`make prometheus-rules`).
	updateVar = "DOCKWATCH_UPDATE_RULES"
)

// wantAlerts are the alerts the README documents; each must exist.
var wantAlerts = []string{
	"DockwatchHostDown", "DockwatchPollsFailing", "DockwatchPollLagging",
	"DockwatchContainerCPUNearLimit", "DockwatchContainerMemoryNearLimit",
}

// The PrometheusRule's spec.groups is the rules file's groups, so users of
// either get the same alerts. The rules file is the source.
func TestPrometheusRuleCarriesExactlyTheRulesFile(t *testing.T) {
	groups := readRuleGroups(t)
	if os.Getenv(updateVar) == "1" {
		writePrometheusRule(t, groups)
	}
	obj := readYAML(t, prometheusRule)
	if obj["apiVersion"] != "monitoring.coreos.com/v1" || obj["kind"] != "PrometheusRule" {
		t.Fatalf("%s is %v/%v, want monitoring.coreos.com/v1 PrometheusRule", prometheusRule, obj["apiVersion"], obj["kind"])
	}
	spec, _ := obj["spec"].(map[string]any)
	if !reflect.DeepEqual(spec["groups"], groups) {
		t.Fatalf("%s differs from %s: run `make prometheus-rules` and commit", prometheusRule, rulesFile)
	}
}

// prometheus-operator's CRD is not installed here, so the rule object is
// checked against the CRD's schema shape (monitoring.coreos.com/v1
// PrometheusRule: spec.groups[].rules[]), field by field.
func TestPrometheusRuleHasTheCRDShape(t *testing.T) {
	obj := readYAML(t, prometheusRule)
	checkKeys(t, "object", obj, []string{"apiVersion", "kind", "metadata", "spec"}, []string{"apiVersion", "kind", "metadata", "spec"})
	meta, _ := obj["metadata"].(map[string]any)
	if name, _ := meta["name"].(string); !regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`).MatchString(name) {
		t.Errorf("metadata.name %q is not a DNS-1123 name", meta["name"])
	}
	spec, _ := obj["spec"].(map[string]any)
	checkKeys(t, "spec", spec, []string{"groups"}, []string{"groups"})
	groups, _ := spec["groups"].([]any)
	if len(groups) == 0 {
		t.Fatal("spec.groups is empty")
	}
	// The CRD's pattern for `for` and `keep_firing_for` (a Prometheus duration).
	duration := regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)
	var alerts []string
	for i, g := range groups {
		group, _ := g.(map[string]any)
		where := fmt.Sprintf("spec.groups[%d]", i)
		checkKeys(t, where, group, []string{"name", "rules"}, []string{"name", "rules", "interval", "limit", "partial_response_strategy", "query_offset", "labels"})
		rules, _ := group["rules"].([]any)
		for j, r := range rules {
			rule, _ := r.(map[string]any)
			where := fmt.Sprintf("%s.rules[%d]", where, j)
			checkKeys(t, where, rule, []string{"expr"}, []string{"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"})
			if _, ok := rule["expr"].(string); !ok {
				t.Errorf("%s.expr is %T, want a string", where, rule["expr"])
			}
			if d, ok := rule["for"]; ok && !duration.MatchString(fmt.Sprint(d)) {
				t.Errorf("%s.for %q does not match the CRD's duration pattern", where, d)
			}
			for _, field := range []string{"labels", "annotations"} {
				checkStringMap(t, where+"."+field, rule[field])
			}
			if name, ok := rule["alert"].(string); ok {
				alerts = append(alerts, name)
			}
		}
	}
	sort.Strings(alerts)
	want := append([]string(nil), wantAlerts...)
	sort.Strings(want)
	if !reflect.DeepEqual(alerts, want) {
		t.Errorf("alerts = %v, want %v", alerts, want)
	}
}

// promtool parses every rule and template, then runs the unit tests: input
// series with a firing and a not-firing case per alert.
func TestRulesPassPromtoolCheckAndUnitTests(t *testing.T) {
	promtool := findTool(t, "promtool", "/usr/bin/promtool")
	for _, args := range [][]string{
		{"check", "rules", filepath.Base(rulesFile)},
		{"test", "rules", filepath.Base(rulesTestFile)},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Dir(rulesFile)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
	}
}

// Every alert has at least one case in the unit tests that expects it to
// fire and one evaluation where it must not.
func TestEveryAlertHasAFiringAndANotFiringCase(t *testing.T) {
	var file struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `json:"alertname"`
				ExpAlerts []map[string]any `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	raw, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parse %s: %v", rulesTestFile, err)
	}
	firing, silent := map[string]bool{}, map[string]bool{}
	for _, test := range file.Tests {
		for _, c := range test.AlertRuleTest {
			if len(c.ExpAlerts) > 0 {
				firing[c.Alertname] = true
			} else {
				silent[c.Alertname] = true
			}
		}
	}
	for _, alert := range wantAlerts {
		if !firing[alert] || !silent[alert] {
			t.Errorf("%s: firing case %v, not-firing case %v; want both", alert, firing[alert], silent[alert])
		}
	}
}

// The operator overlay renders with kustomize as shipped.
func TestOperatorOverlayRenders(t *testing.T) {
	kubectl := findKubectl(t)
	out, err := exec.Command(kubectl, "kustomize", operatorDir).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", operatorDir, err, out)
	}
	for _, want := range []string{"kind: PrometheusRule\n", "kind: ServiceMonitor\n", "name: dockwatch-rules\n", "namespace: dockwatch-system\n", "honorLabels: true\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s renders without %q:\n%s", operatorDir, want, out)
		}
	}
}

// readRuleGroups returns the rules file's groups, as generic YAML.
func readRuleGroups(t *testing.T) any {
	t.Helper()
	groups, ok := readYAML(t, rulesFile)["groups"]
	if !ok {
		t.Fatalf("%s has no groups", rulesFile)
	}
	return groups
}

// writePrometheusRule generates the PrometheusRule from the rules file.
func writePrometheusRule(t *testing.T, groups any) {
	t.Helper()
	obj := map[string]any{
		"apiVersion": "monitoring.coreos.com/v1",
		"kind":       "PrometheusRule",
		"metadata": map[string]any{
			"name":      "rules",
			"namespace": "system",
			"labels":    map[string]any{"app.kubernetes.io/name": "dockwatch"},
		},
		"spec": map[string]any{"groups": groups},
	}
	raw, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	header := "# GENERATED from " + filepath.Base(rulesFile) + " by `make prometheus-rules`: edit that file, not this one.\n"
	if err := os.WriteFile(prometheusRule, append([]byte(header), raw...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return obj
}

// checkKeys fails for a missing required key or a key the schema lacks
// (the CRD prunes unknown fields, so a typo would vanish silently).
func checkKeys(t *testing.T, where string, m map[string]any, required, allowed []string) {
	t.Helper()
	if m == nil {
		t.Errorf("%s is not an object", where)
		return
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %s", where, k)
		}
	}
	for k := range m {
		if !contains(allowed, k) {
			t.Errorf("%s has %s, which the PrometheusRule schema does not know", where, k)
		}
	}
}

// checkStringMap fails unless v is absent or a map of strings.
func checkStringMap(t *testing.T, where string, v any) {
	t.Helper()
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s is %T, want a map of strings", where, v)
		return
	}
	for k, val := range m {
		if _, ok := val.(string); !ok {
			t.Errorf("%s.%s is %T, want a string", where, k, val)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// findTool finds a machine tool on PATH or at its Debian path, failing (never
// skipping) with the install command when it is missing.
func findTool(t *testing.T, name, fallback string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if _, err := os.Stat(fallback); err == nil {
		return fallback
	}
	t.Fatalf("%s is not installed: run hack/install-deps.sh (as root: apt-get install -y prometheus)", name)
	return ""
}

// findKubectl prefers the kubectl beside the envtest binaries, as the
// controller tests do, then the machine's.
func findKubectl(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if p := filepath.Join(dir, "kubectl"); isExecutable(p) {
			return p
		}
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		return p
	}
	t.Fatal("no kubectl: set KUBEBUILDER_ASSETS (make test does, through hack/setup-envtest.sh) or install kubectl")
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&0o111 != 0
}

// The README documents every alert, by name.
func TestReadmeDocumentsEveryAlert(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, alert := range wantAlerts {
		if !strings.Contains(string(raw), "**"+alert+"**") {
			t.Errorf("README does not document %s (as **%s**)", alert, alert)
		}
	}
}
