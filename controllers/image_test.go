package controllers

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// imageBuildTimeout bounds `make docker-build-local` (two static Go builds).
const imageBuildTimeout = 15 * time.Minute

// TestShippedImageRunsInBothModes builds the image offline the way `make
// docker-build-local` does, into a private daemon, and runs it there as the
// manifests run it: read-only root filesystem, the manifest's user, every
// capability dropped, no privilege escalation, the manifest's arguments.
// The containers use the host network to reach the envtest API server on
// loopback (harness daemons have no bridge), with a kubeconfig mounted
// read-only and the service-account namespace file a pod would have.
func TestShippedImageRunsInBothModes(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{TLS: true})
	image := buildLocalImage(t, daemon)
	ns := newNamespace(t)
	creds := podCredentials(t, ns)

	t.Run("cluster mode polls a TLS DockerHost", func(t *testing.T) {
		daemon.RunIdle(t, "watched-by-image")
		createSecretFromDir(t, ns, "machine", daemon.CertDir)
		key := applyHost(t, &dockwatchv1.DockerHost{
			ObjectMeta: metav1.ObjectMeta{Name: "from-image", Namespace: ns},
			Spec: dockwatchv1.DockerHostSpec{
				Endpoint: daemon.Host,
				TLS:      &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "machine"}},
				Interval: dur(pollEvery),
			},
		})
		c := manifestContainer(t, "manager/manager.yaml", &appsv1.Deployment{})
		run := runImage(t, daemon, image, "dockwatch-cluster", c, creds, nil)
		waitReadyOrLogs(t, daemon, run, key)
		if host := getHost(t, key); findContainer(host, "watched-by-image") == nil {
			t.Errorf("the image's manager does not list the watched container: %s", describe(host))
		}
	})

	t.Run("node mode registers and polls its node", func(t *testing.T) {
		node := createNode(t, "image-node")
		c := manifestContainer(t, "agent/daemonset.yaml", &appsv1.DaemonSet{})
		templateDir, err := filepath.Abs(filepath.Join("..", "config", "agent"))
		if err != nil {
			t.Fatal(err)
		}
		mounts := map[string]string{
			"docker-socket": strings.TrimPrefix(daemon.UnixHost, "unix://"),
			"template":      templateDir, // the ConfigMap's one key, template.yaml, is a file there
		}
		env := map[string]string{"NODE_NAME": node.Name, "POD_NAMESPACE": ns}
		run := runImage(t, daemon, image, "dockwatch-agent", c, creds, &agentSetup{mounts: mounts, env: env})
		waitReadyOrLogs(t, daemon, run, client.ObjectKey{Namespace: ns, Name: NodeHostName(node.Name)})
	})
}

// buildLocalImage runs hack/docker-build-local.sh against the daemon and
// checks the image has the Dockerfile's user and entrypoint.
func buildLocalImage(t *testing.T, d *dockertest.Daemon) string {
	t.Helper()
	image := "dockwatch:image-test"
	ctx, cancel := context.WithTimeout(context.Background(), imageBuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join("..", "hack", "docker-build-local.sh"))
	cmd.Env = append(os.Environ(), "IMG="+image, "DOCKER_HOST="+d.UnixHost, "DOCKER_CONFIG="+t.TempDir())
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/docker-build-local.sh: %v\n%s", err, out)
	}
	t.Logf("built %s in %s", image, time.Since(start).Round(time.Second))
	got := strings.TrimSpace(d.Docker(t, "image", "inspect", "--format", "{{.Config.User}} {{json .Config.Entrypoint}}", image))
	if want := `65532:65532 ["/manager"]`; got != want {
		t.Fatalf("image user and entrypoint = %s, want %s (the Dockerfile's final stage)", got, want)
	}
	return image
}

// podCredentials writes what a pod would see: a kubeconfig for the test API
// server (readable by the container's user) and the service-account
// namespace file that leader election reads.
func podCredentials(t *testing.T, ns string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dockwatch-pod-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	raw, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"kubeconfig": raw, "serviceaccount/namespace": []byte(ns)}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// manifestContainer reads the first container of the workload in file
// (under config/), with the pod's security context folded into it.
func manifestContainer(t *testing.T, file string, workload client.Object) corev1.Container {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "config", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(raw), "\n---") {
		if !strings.Contains(doc, "kind: Deployment\n") && !strings.Contains(doc, "kind: DaemonSet\n") {
			continue
		}
		if err := yaml.Unmarshal([]byte(doc), workload); err != nil {
			t.Fatalf("decode %s: %v", file, err)
		}
	}
	var pod corev1.PodSpec
	switch w := workload.(type) {
	case *appsv1.Deployment:
		pod = w.Spec.Template.Spec
	case *appsv1.DaemonSet:
		pod = w.Spec.Template.Spec
	}
	if len(pod.Containers) == 0 || pod.Containers[0].SecurityContext == nil {
		t.Fatalf("%s has no container with a securityContext", file)
	}
	c := pod.Containers[0]
	if c.SecurityContext.RunAsUser == nil && pod.SecurityContext != nil {
		c.SecurityContext.RunAsUser = pod.SecurityContext.RunAsUser
	}
	return c
}

// agentSetup is what node mode adds: host paths for the manifest's volumes
// (by volume name) and values for its downward-API variables.
type agentSetup struct {
	mounts map[string]string
	env    map[string]string
}

// runningImage is a container started from the image, with its probe port.
type runningImage struct {
	name      string
	probePort int
}

// runImage starts the image as the manifest's container c would run.
func runImage(t *testing.T, d *dockertest.Daemon, image, name string, c corev1.Container, creds string, agent *agentSetup) runningImage {
	t.Helper()
	args, flags, probePort := dockerRunArgs(t, c)
	flags = append(flags,
		"--name", name, "--detach", "--network", "host",
		"-v", filepath.Join(creds, "kubeconfig")+":/etc/dockwatch-test/kubeconfig:ro",
		"-v", filepath.Join(creds, "serviceaccount")+":/var/run/secrets/kubernetes.io/serviceaccount:ro",
		"-e", "KUBECONFIG=/etc/dockwatch-test/kubeconfig")
	if agent != nil {
		for _, m := range c.VolumeMounts {
			src, ok := agent.mounts[m.Name]
			if !ok {
				t.Fatalf("no host path for volume %s", m.Name)
			}
			spec := src + ":" + m.MountPath
			if m.ReadOnly {
				spec += ":ro"
			}
			flags = append(flags, "-v", spec)
		}
		for _, e := range c.Env {
			flags = append(flags, "-e", e.Name+"="+agent.env[e.Name])
		}
	}
	cmd := append([]string{"run"}, flags...)
	cmd = append(cmd, "--entrypoint", c.Command[0], image)
	d.Docker(t, append(cmd, args...)...)
	t.Logf("docker %s", strings.Join(append(cmd, args...), " "))
	return runningImage{name: name, probePort: probePort}
}

// dockerRunArgs turns the container's securityContext into docker run flags
// and its arguments into the image's, with the metrics and probe addresses
// moved to free loopback ports (the host network is shared).
func dockerRunArgs(t *testing.T, c corev1.Container) (args, flags []string, probePort int) {
	t.Helper()
	sc := c.SecurityContext
	if sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
		flags = append(flags, "--read-only")
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		flags = append(flags, "--security-opt", "no-new-privileges")
	}
	if sc.Capabilities != nil {
		for _, capability := range sc.Capabilities.Drop {
			flags = append(flags, "--cap-drop", string(capability))
		}
	}
	user := "65532:65532" // the image's USER, which runAsNonRoot relies on
	if sc.RunAsUser != nil {
		user = strconv.FormatInt(*sc.RunAsUser, 10) + ":" + strconv.FormatInt(*sc.RunAsUser, 10)
	}
	flags = append(flags, "--user", user)
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--metrics-bind-address="):
			a = "--metrics-bind-address=127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
		case strings.HasPrefix(a, "--health-probe-bind-address="):
			probePort = freeLoopbackPort(t)
			a = "--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(probePort)
		}
		args = append(args, a)
	}
	if probePort == 0 {
		t.Fatal("the manifest sets no --health-probe-bind-address")
	}
	return args, flags, probePort
}

// waitReadyOrLogs waits for the host to become Ready and the container's
// readiness probe to answer 200, showing the container's log on failure.
func waitReadyOrLogs(t *testing.T, d *dockertest.Daemon, run runningImage, key client.ObjectKey) {
	t.Helper()
	defer func() {
		if t.Failed() {
			logs, _ := d.TryDocker("logs", "--tail", "60", run.name)
			state, _ := d.TryDocker("inspect", "--format", "{{json .State}}", run.name)
			t.Logf("%s state %s, last log lines:\n%s", run.name, state, logs)
		}
	}()
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyWithin)
	probe := fmt.Sprintf("http://127.0.0.1:%d/readyz", run.probePort)
	waitFor(t, 30*time.Second, "the container's readiness probe", func() (bool, string) {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(probe)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	user := strings.TrimSpace(d.Docker(t, "inspect", "--format", "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.CapDrop}}", run.name))
	t.Logf("%s runs as %s", run.name, user)
}

// freeLoopbackPort returns a TCP port on 127.0.0.1 that was free just now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The offline image's final stage (hack/image/Dockerfile) must stay
// equivalent to the Dockerfile's: same WORKDIR, USER and ENTRYPOINT.
func TestOfflineImageStageMatchesTheDockerfile(t *testing.T) {
	online := finalStage(t, filepath.Join("..", "Dockerfile"))
	offline := finalStage(t, filepath.Join("..", "hack", "image", "Dockerfile"))
	for _, instr := range []string{"WORKDIR", "USER", "ENTRYPOINT"} {
		if online[instr] == "" || online[instr] != offline[instr] {
			t.Errorf("%s: Dockerfile has %q, hack/image/Dockerfile %q", instr, online[instr], offline[instr])
		}
	}
	if !strings.Contains(online["COPY"], "/workspace/manager /workspace/dockwatch /") {
		t.Errorf("the Dockerfile's final stage copies %q; hack/docker-build-local.sh puts /manager and /dockwatch at /", online["COPY"])
	}
}

// finalStage maps each instruction of a Dockerfile's last stage to its
// arguments (the last one wins, as for WORKDIR, USER and ENTRYPOINT).
func finalStage(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stage := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		instr = strings.ToUpper(instr)
		if instr == "FROM" {
			stage = map[string]string{}
		}
		stage[instr] = rest
	}
	return stage
}
