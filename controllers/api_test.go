package controllers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// TestAPIAcceptsEverySample creates each sample in config/samples on the
// real API server: the documentation's examples must stay valid.
func TestAPIAcceptsEverySample(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	files, err := filepath.Glob(filepath.Join("..", "config", "samples", "dockwatch_*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("want at least 3 samples in config/samples, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			host := &dockwatchv1.DockerHost{}
			if err := yaml.UnmarshalStrict(raw, host); err != nil {
				t.Fatalf("sample does not decode into a DockerHost: %v", err)
			}
			host.Namespace = ns
			if err := k8sClient.Create(context.Background(), host); err != nil {
				t.Fatalf("API server rejected the sample: %v", err)
			}
			if host.Spec.Interval == nil || host.Spec.Interval.Duration == 0 {
				t.Errorf("interval was not defaulted: %v", host.Spec.Interval)
			}
		})
	}
}

// TestAPIRejectsInvalidHosts proves the API server itself refuses bad specs,
// each with a message that names the offending field.
func TestAPIRejectsInvalidHosts(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	cases := []struct {
		name      string
		mutate    func(*dockwatchv1.DockerHostSpec)
		wantField string
	}{
		{"endpoint scheme http", func(s *dockwatchv1.DockerHostSpec) { s.Endpoint = "http://127.0.0.1:2375" }, "spec.endpoint"},
		{"endpoint missing", func(s *dockwatchv1.DockerHostSpec) { s.Endpoint = "" }, "spec.endpoint"},
		{"tcp endpoint without a port", func(s *dockwatchv1.DockerHostSpec) { s.Endpoint = "tcp://127.0.0.1" }, "spec.endpoint"},
		{"nodeName on a tcp endpoint", func(s *dockwatchv1.DockerHostSpec) { s.NodeName = "worker-1" }, "spec.nodeName"},
		{"negative threshold", func(s *dockwatchv1.DockerHostSpec) { s.Thresholds[0].Above = intstr.FromInt32(-1) }, "spec.thresholds[0].above"},
		{"clearBelow above above", func(s *dockwatchv1.DockerHostSpec) { s.Thresholds[0].ClearBelow = ptr(intstr.FromInt32(95)) }, "spec.thresholds[0].clearBelow"},
		{"unknown metric", func(s *dockwatchv1.DockerHostSpec) { s.Thresholds[0].Metric = "diskPercent" }, "spec.thresholds[0].metric"},
		{"unknown severity", func(s *dockwatchv1.DockerHostSpec) { s.Thresholds[0].Severity = "page" }, "spec.thresholds[0].severity"},
		{"rule name not DNS label", func(s *dockwatchv1.DockerHostSpec) { s.Thresholds[0].Name = "High CPU" }, "spec.thresholds[0].name"},
		{"duplicate rule names", func(s *dockwatchv1.DockerHostSpec) { s.Thresholds = append(s.Thresholds, s.Thresholds[0]) }, "spec.thresholds[1]"},
		{"interval too short", func(s *dockwatchv1.DockerHostSpec) { s.Interval = dur("1s") }, "spec.interval"},
		{"timeout longer than interval", func(s *dockwatchv1.DockerHostSpec) { s.Interval = dur("10s"); s.Timeout = dur("20s") }, "spec.timeout"},
		{"timeout too short", func(s *dockwatchv1.DockerHostSpec) { s.Timeout = dur("500ms") }, "spec.timeout"},
		{"tcp without TLS or opt-in", func(s *dockwatchv1.DockerHostSpec) { s.TLS = nil }, "spec.tls"},
		{"TLS on a unix socket", func(s *dockwatchv1.DockerHostSpec) { s.Endpoint = "unix:///var/run/docker.sock" }, "spec.tls"},
		{"secretRef without name", func(s *dockwatchv1.DockerHostSpec) { s.TLS.SecretRef.Name = "" }, "spec.tls.secretRef.name"},
		{"api version not 1.x", func(s *dockwatchv1.DockerHostSpec) { s.APIVersion = "v1.41" }, "spec.apiVersion"},
		{"status list bound too high", func(s *dockwatchv1.DockerHostSpec) { s.MaxContainersInStatus = 1000 }, "spec.maxContainersInStatus"},
		{"too many include globs", func(s *dockwatchv1.DockerHostSpec) { s.Containers.Include = make([]string, 65) }, "spec.containers.include"},
		{"empty include glob", func(s *dockwatchv1.DockerHostSpec) { s.Containers.Include = []string{""} }, "spec.containers.include[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			host := validHost(ns)
			tc.mutate(&host.Spec)
			err := k8sClient.Create(context.Background(), host)
			if err == nil {
				t.Fatalf("API server accepted an invalid DockerHost (%s)", tc.name)
			}
			if !strings.Contains(err.Error(), tc.wantField) {
				t.Fatalf("rejection does not name %s: %v", tc.wantField, err)
			}
		})
	}
}

// TestAPIRejectsMalformedDurations sends raw YAML, since a typed client
// cannot express a duration that does not parse.
func TestAPIRejectsMalformedDurations(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	manifest := `apiVersion: dockwatch.io/v1alpha1
kind: DockerHost
metadata: {name: bad-interval, namespace: ` + ns + `}
spec:
  endpoint: unix:///var/run/docker.sock
  interval: 30 seconds
`
	out, err := kubectlStdin(t, manifest, "apply", "-f", "-")
	if err == nil {
		t.Fatalf("kubectl apply accepted interval '30 seconds': %s", out)
	}
	if !strings.Contains(out, "spec.interval") {
		t.Fatalf("rejection does not name spec.interval: %s", out)
	}
}

// TestKubectlShowsPrinterColumns drives kubectl as a user would and checks
// that `kubectl get dockerhosts` prints the columns users read.
func TestKubectlShowsPrinterColumns(t *testing.T) {
	requireControlPlane(t)
	ns := newNamespace(t)
	if err := k8sClient.Create(context.Background(), validHost(ns)); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"get", "dockerhosts", "-n", ns},
		{"get", "dh", "-n", ns, "-o", "wide"},
	} {
		out, err := kubectl(t, args...)
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		header := strings.Fields(strings.SplitN(out, "\n", 2)[0])
		want := []string{"NAME", "ENDPOINT", "READY", "CONTAINERS", "CPU", "MEMORY", "ALERTS", "LAST", "POLL", "AGE"}
		if !containsInOrder(header, want) {
			t.Fatalf("kubectl %v header %v lacks %v", args, header, want)
		}
		if !strings.Contains(out, "tcp://127.0.0.1:2376") {
			t.Fatalf("kubectl %v does not show the endpoint:\n%s", args, out)
		}
	}
}

// validHost is a DockerHost every rejection case starts from: valid as is.
func validHost(ns string) *dockwatchv1.DockerHost {
	return &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "host-", Namespace: ns},
		Spec: dockwatchv1.DockerHostSpec{
			Endpoint: "tcp://127.0.0.1:2376",
			TLS:      &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "certs"}},
			Thresholds: []dockwatchv1.ThresholdRule{
				{Name: "high-cpu", Metric: dockwatchv1.MetricCPUPercent, Above: intstr.FromInt32(80), ClearBelow: ptr(intstr.FromInt32(70)), For: dur("1m")},
			},
		},
	}
}

func containsInOrder(have, want []string) bool {
	i := 0
	for _, h := range have {
		if i < len(want) && h == want[i] {
			i++
		}
	}
	return i == len(want)
}

func ptr[T any](v T) *T { return &v }

func dur(s string) *metav1.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return &metav1.Duration{Duration: d}
}
