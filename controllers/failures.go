package controllers

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// failedPoll is how a failed poll is reported: the reason, what Reachable
// says and the one-sentence message.
type failedPoll struct {
	reason    string
	reachable metav1.ConditionStatus
	message   string
}

// pollFailure classifies a poll error so a misconfiguration does not page
// whoever alerts on DaemonUnreachable: certificate and TLS problems are
// TLSVerificationFailed, a daemon refusing the API version is
// APIVersionMismatch (it answered, so Reachable stays True), and the rest
// DaemonUnreachable. All three are retried with backoff: the far side can
// fix each of them.
func pollFailure(host *dockwatchv1.DockerHost, err error) failedPoll {
	switch docker.Classify(err) {
	case docker.FailureTLS:
		return failedPoll{dockwatchv1.ReasonTLSVerificationFailed, metav1.ConditionFalse,
			fmt.Sprintf("TLS with the Docker daemon failed: %v%s", err, specHint(host, docker.SuggestedFix(err)))}
	case docker.FailureAPIVersion:
		return failedPoll{dockwatchv1.ReasonAPIVersionMismatch, metav1.ConditionTrue,
			fmt.Sprintf("The Docker daemon answered but refuses the API version: %v%s", err, apiVersionHint(host))}
	}
	return failedPoll{dockwatchv1.ReasonDaemonUnreachable, metav1.ConditionFalse, fmt.Sprintf("Docker daemon unreachable: %v", err)}
}

// specHint words the docker package's suggested fix in the spec's fields
// (the CLI words the same fixes in its flags).
func specHint(host *dockwatchv1.DockerHost, fix docker.Fix) string {
	secret := "the Secret in spec.tls.secretRef"
	if name := secretName(host); name != "" {
		secret = "Secret " + host.Namespace + "/" + name
	}
	switch fix {
	case docker.FixServerName:
		return "; set spec.tls.serverName to one of the names the certificate lists"
	case docker.FixCA:
		return "; put the CA that signed the daemon's certificate in " + secret + " (ca.pem or ca.crt)"
	case docker.FixClientCert:
		return "; check the client certificate and key in " + secret
	case docker.FixUseTLS:
		return "; the daemon speaks TLS: set spec.tls (or use https://)"
	case docker.FixNoTLS:
		return "; the daemon speaks plain HTTP: remove spec.tls and set spec.allowPlaintext (or fix spec.endpoint's port)"
	}
	return ""
}

// apiVersionHint points at spec.apiVersion when it is the pin the daemon
// refused.
func apiVersionHint(host *dockwatchv1.DockerHost) string {
	if host.Spec.APIVersion == "" {
		return ""
	}
	return fmt.Sprintf("; spec.apiVersion pins %s: remove it to negotiate, or upgrade the daemon", host.Spec.APIVersion)
}

// secureMessage says what the spec asks for when it turns no safeguard
// off. It speaks of the spec, not of a connection: the host may never have
// been reached.
func secureMessage(host *dockwatchv1.DockerHost) string {
	switch {
	case strings.HasPrefix(host.Spec.Endpoint, "unix://"):
		return "spec.endpoint is a local unix socket"
	case host.Spec.TLS != nil && host.Spec.TLS.SecretRef != nil:
		return "spec.tls verifies the daemon's certificate against the CA in spec.tls.secretRef"
	default:
		return "spec.tls verifies the daemon's certificate against the system roots"
	}
}

// plural is "1 container" or "3 containers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
