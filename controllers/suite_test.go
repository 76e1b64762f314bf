package controllers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// The suite runs one real kube-apiserver and etcd (envtest) for every test
// in this package. Tests talk to it through an uncached client, so what they
// read is what the API server stores.
var (
	testEnv    *envtest.Environment
	cfg        *rest.Config
	k8sClient  client.Client
	testScheme = runtime.NewScheme()
	// kubeconfig is a file for driving the test API server with kubectl.
	kubeconfig string
	// kubectlPath is the kubectl beside the control-plane binaries.
	kubectlPath = "kubectl"
	// controlPlaneMissing says why there is no control plane ("" when there is one).
	controlPlaneMissing string
)

// noControlPlaneVar, when "1", says this environment cannot run a control
// plane, so tests needing one skip (they never skip in CI).
const noControlPlaneVar = "DOCKWATCH_TEST_NO_CONTROLPLANE"

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(testScheme))
	utilruntime.Must(dockwatchv1.AddToScheme(testScheme))
}

func TestMain(m *testing.M) {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true), zap.Level(zapLevel())))
	if os.Getenv(noControlPlaneVar) == "1" && os.Getenv("CI") != "true" {
		controlPlaneMissing = noControlPlaneVar + "=1"
		os.Exit(m.Run())
	}
	if err := startControlPlane(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the test control plane: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := testEnv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the test control plane: %v\n", err)
	}
	_ = os.Remove(kubeconfig)
	os.Exit(code)
}

// startControlPlane starts kube-apiserver and etcd with the generated CRD
// installed, building the binaries first if no cached build exists.
func startControlPlane() error {
	assets, err := controlPlaneAssets()
	if err != nil {
		return err
	}
	kubectlPath = filepath.Join(assets, "kubectl")
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	if cfg, err = testEnv.Start(); err != nil {
		return fmt.Errorf("start envtest: %w", err)
	}
	if k8sClient, err = client.New(cfg, client.Options{Scheme: testScheme}); err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	return writeKubeconfig()
}

// controlPlaneAssets finds kube-apiserver and etcd: KUBEBUILDER_ASSETS when
// set, else the cached build that hack/setup-envtest.sh makes or reuses.
func controlPlaneAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command(filepath.Join("..", "hack", "setup-envtest.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/setup-envtest.sh: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// writeKubeconfig lets tests run kubectl against the test API server as a user would.
func writeKubeconfig() error {
	user, err := testEnv.AddUser(envtest.User{Name: "kubectl-user", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("add kubectl user: %w", err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("render kubeconfig: %w", err)
	}
	f, err := os.CreateTemp("", "dockwatch-kubeconfig-*")
	if err != nil {
		return err
	}
	defer f.Close()
	kubeconfig = f.Name()
	_, err = f.Write(raw)
	return err
}

// requireControlPlane skips a test only where the environment says it has no
// control plane; in CI that variable is ignored and the suite fails instead.
func requireControlPlane(t *testing.T) {
	t.Helper()
	if controlPlaneMissing != "" {
		t.Skipf("no control plane here (%s)", controlPlaneMissing)
	}
}

// kubectl runs kubectl against the test API server and returns its output.
func kubectl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(kubectlPath, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// kubectlStdin runs kubectl with input on its standard input.
func kubectlStdin(t *testing.T, input string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(kubectlPath, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// newNamespace creates a namespace for one test and deletes it afterwards.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "dw-"}}
	if err := k8sClient.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	// envtest runs no namespace controller, so a deleted namespace keeps its
	// objects: delete the hosts explicitly, or later tests' managers poll them.
	t.Cleanup(func() {
		_ = k8sClient.DeleteAllOf(context.Background(), &dockwatchv1.DockerHost{}, client.InNamespace(ns.Name))
		_ = k8sClient.Delete(context.Background(), ns)
	})
	return ns.Name
}

// zapLevel is Info, or Debug (every poll) with DOCKWATCH_TEST_VERBOSE=1.
func zapLevel() zapcore.Level {
	if os.Getenv("DOCKWATCH_TEST_VERBOSE") == "1" {
		return zapcore.DebugLevel
	}
	return zapcore.InfoLevel
}
