package controllers

import (
	"context"
	"encoding/pem"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// configError is a problem with the spec or its Secret that polling again
// cannot fix; the host waits for the spec or the Secret to change.
type configError struct {
	reason string // dockwatchv1.ReasonTLSConfigError or ReasonInvalidSpec
	err    error
}

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func tlsConfigError(format string, args ...any) error {
	return &configError{reason: dockwatchv1.ReasonTLSConfigError, err: fmt.Errorf(format, args...)}
}

// Secret keys in the two layouts dockwatch accepts: docker-machine's machine
// folder, and the kubernetes.io/tls Secret type (ca.crt is the usual extra).
var (
	caKeys   = []string{"ca.pem", "ca.crt"}
	certKeys = []string{"cert.pem", "tls.crt"}
	keyKeys  = []string{"key.pem", "tls.key"}
)

// connect returns the host's Docker client and container selection, reusing
// the cached client (reused true) unless the spec or the Secret changed
// since it was built.
func (r *DockerHostReconciler) connect(ctx context.Context, host *dockwatchv1.DockerHost) (conn HostClient, selection docker.Selection, reused bool, err error) {
	if selection, err = selectionFor(host.Spec.Containers); err != nil {
		return nil, docker.Selection{}, false, &configError{reason: dockwatchv1.ReasonInvalidSpec, err: err}
	}
	secretVersion, err := r.secretVersion(ctx, host)
	if err != nil {
		return nil, docker.Selection{}, false, err
	}
	key := client.ObjectKeyFromObject(host)
	fingerprint := connectionFingerprint(host, secretVersion)
	if conn := r.Connections.Lookup(key, fingerprint); conn != nil {
		return conn, selection, true, nil
	}

	cfg := clientConfig(host)
	if cfg.TLS, err = r.tlsMaterial(ctx, host); err != nil {
		return nil, docker.Selection{}, false, err
	}
	if conn, err = r.Connections.Connect(key, fingerprint, cfg); err != nil {
		return nil, docker.Selection{}, false, clientBuildError(host, err)
	}
	return conn, selection, false, nil
}

// clientConfig is the stats engine's configuration for host, without its
// TLS material.
func clientConfig(host *dockwatchv1.DockerHost) docker.Config {
	return docker.Config{Endpoint: host.Spec.Endpoint, APIVersion: host.Spec.APIVersion, Timeout: pollTimeout(host),
		MaxBaselineAge: 3 * pollInterval(host), // older: an outage, not a poll interval
		Spread:         true}                   // one host of many: few connections per poll, none between
}

// clientBuildError names what kept the client from being built: the TLS
// material from the Secret, or else the spec (an endpoint or API pin the
// engine refuses) or the manager's own settings, which the message carries.
func clientBuildError(host *dockwatchv1.DockerHost, err error) error {
	if docker.IsTLSMaterialError(err) {
		if name := secretName(host); name != "" {
			return tlsConfigError("TLS material in Secret %s/%s: %w", host.Namespace, name, err)
		}
		return tlsConfigError("spec.tls: %w", err)
	}
	return &configError{reason: dockwatchv1.ReasonInvalidSpec, err: fmt.Errorf("cannot connect to %s as configured: %w", host.Spec.Endpoint, err)}
}

// selectionFor turns the spec's container selector into the stats engine's.
func selectionFor(sel dockwatchv1.ContainerSelector) (docker.Selection, error) {
	labelSelector := ""
	if sel.LabelSelector != nil {
		parsed, err := metav1.LabelSelectorAsSelector(sel.LabelSelector)
		if err != nil {
			return docker.Selection{}, fmt.Errorf("spec.containers.labelSelector: %w", err)
		}
		labelSelector = parsed.String()
	}
	selection, err := docker.ParseSelection(sel.Include, sel.Exclude, labelSelector, sel.IncludeStopped)
	if err != nil {
		return docker.Selection{}, fmt.Errorf("spec.containers: %w", err)
	}
	return selection, nil
}

// secretVersion returns the referenced Secret's resourceVersion from the
// metadata-only cache ("" without a Secret). It is cheap, so every poll can
// notice a rotated certificate.
func (r *DockerHostReconciler) secretVersion(ctx context.Context, host *dockwatchv1.DockerHost) (string, error) {
	name := secretName(host)
	if name == "" {
		return "", nil
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	err := r.Get(ctx, client.ObjectKey{Namespace: host.Namespace, Name: name}, meta)
	if apierrors.IsNotFound(err) {
		return "", tlsConfigError("Secret %s/%s referenced by spec.tls.secretRef not found", host.Namespace, name)
	}
	if err != nil {
		return "", fmt.Errorf("get Secret %s/%s: %w", host.Namespace, name, err)
	}
	return meta.ResourceVersion, nil
}

// tlsMaterial reads the spec's TLS settings and Secret into PEM bytes for
// the stats engine. Secret values are never logged or put in messages.
func (r *DockerHostReconciler) tlsMaterial(ctx context.Context, host *dockwatchv1.DockerHost) (*docker.TLSMaterial, error) {
	spec := host.Spec.TLS
	if spec == nil {
		return nil, nil
	}
	material := &docker.TLSMaterial{ServerName: spec.ServerName, InsecureSkipVerify: spec.InsecureSkipVerify}
	if spec.SecretRef == nil {
		return material, nil
	}
	secret := &corev1.Secret{}
	key := client.ObjectKey{Namespace: host.Namespace, Name: spec.SecretRef.Name}
	if err := r.APIReader.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, tlsConfigError("Secret %s referenced by spec.tls.secretRef not found", key)
		}
		return nil, fmt.Errorf("get Secret %s: %w", key, err)
	}
	return materialFromSecret(secret, material, spec.SkipClientCertificate)
}

// materialFromSecret picks the CA, certificate and key out of a Secret in
// either accepted layout, naming the Secret key of anything wrong. A client
// certificate and key are required unless spec.tls.skipClientCertificate
// says the daemon asks for none; when the Secret has neither, the message
// names the Secret, the keys it has and the keys expected.
func materialFromSecret(secret *corev1.Secret, material *docker.TLSMaterial, skipClientCert bool) (*docker.TLSMaterial, error) {
	ref := secret.Namespace + "/" + secret.Name
	var err error
	var caKey, certKey, keyKey string
	if material.CA, caKey, err = pemValue(secret, caKeys); err != nil {
		return nil, tlsConfigError("Secret %s: %w", ref, err)
	}
	if material.Cert, certKey, err = pemValue(secret, certKeys); err != nil {
		return nil, tlsConfigError("Secret %s: %w", ref, err)
	}
	if material.Key, keyKey, err = pemValue(secret, keyKeys); err != nil {
		return nil, tlsConfigError("Secret %s: %w", ref, err)
	}
	switch {
	case material.Cert != nil && material.Key == nil:
		return nil, tlsConfigError("Secret %s has %s but no client key (%s)", ref, certKey, strings.Join(keyKeys, " or "))
	case material.Key != nil && material.Cert == nil:
		return nil, tlsConfigError("Secret %s has %s but no client certificate (%s)", ref, keyKey, strings.Join(certKeys, " or "))
	case material.Cert == nil && (caKey == "" || !skipClientCert):
		return nil, tlsConfigError("Secret %s has %s, but dockwatch reads %s (docker-machine) or %s (kubernetes.io/tls)%s",
			ref, describeKeys(secret), strings.Join([]string{caKeys[0], certKeys[0], keyKeys[0]}, ", "),
			strings.Join([]string{caKeys[1], certKeys[1], keyKeys[1]}, ", "), caOnlyHint(caKey, skipClientCert))
	}
	return material, nil
}

// caOnlyHint explains why a CA alone is not enough, and how to say it is.
func caOnlyHint(caKey string, skipClientCert bool) string {
	if caKey == "" || skipClientCert {
		return ""
	}
	return "; a client certificate and key are required (a daemon started with --tlsverify refuses clients without one): add them, or set spec.tls.skipClientCertificate if the daemon asks for none"
}

// describeKeys lists a Secret's key names (never values), sorted.
func describeKeys(secret *corev1.Secret) string {
	if len(secret.Data) == 0 {
		return "no keys"
	}
	names := make([]string, 0, len(secret.Data))
	for k := range secret.Data {
		names = append(names, k)
	}
	sort.Strings(names)
	return "keys " + strings.Join(names, ", ")
}

// pemValue returns the first of keys present in the Secret, after checking
// it holds a PEM block. The error names the key, never its content.
func pemValue(secret *corev1.Secret, keys []string) ([]byte, string, error) {
	for _, key := range keys {
		value, ok := secret.Data[key]
		if !ok || len(value) == 0 {
			continue // some issuers write an empty ca.crt: treat it as absent
		}
		if block, _ := pem.Decode(value); block == nil {
			return nil, key, fmt.Errorf("key %s does not hold PEM data", key)
		}
		return value, key, nil
	}
	return nil, "", nil
}

// secretName is the referenced Secret's name, "" when there is none.
func secretName(host *dockwatchv1.DockerHost) string {
	if host.Spec.TLS == nil || host.Spec.TLS.SecretRef == nil {
		return ""
	}
	return host.Spec.TLS.SecretRef.Name
}
